package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm export --quantize}: int8 writes a checked int8 export that {@code dllm sample} runs;
 * any other value exits 2 naming the option and the accepted values, writing nothing.
 */
class ExportQuantizeCommandTest {
  @TempDir Path tmp;

  @Test
  void int8ExportSamplesAndABadValueIsRefused() throws Exception {
    Path fp32 = TinyExports.export("mdlm", 3, tmp.resolve("fp32"));
    Path ck = tmp.resolve("fp32-checkpoint");
    CliRun cli = new CliRun();
    Path int8 = tmp.resolve("int8");
    String[] export = {
      "export", "--checkpoint", ck.toString(), "--out", int8.toString(), "--quantize", "int8"
    };
    assertEquals(0, cli.run(export), cli.err());
    assertTrue(cli.out().contains("weights int8 per output channel"), cli.out());
    Map<?, ?> report =
        new ObjectMapper().readValue(int8.resolve("export-report.json").toFile(), Map.class);
    assertEquals("int8", report.get("quantize"));
    Map<?, ?> plain =
        new ObjectMapper().readValue(fp32.resolve("export-report.json").toFile(), Map.class);
    assertEquals("none", plain.get("quantize"));
    assertEquals(plain.get("model_hash") + "-int8", report.get("model_hash"));
    Path samples = tmp.resolve("s.jsonl");
    assertEquals(
        0,
        cli.run(
            "sample",
            "--model",
            int8.toString(),
            "--num-samples",
            "2",
            "--steps",
            "3",
            "--threads",
            "1",
            "--out",
            samples.toString()),
        cli.err());
    assertEquals(2, Files.readAllLines(samples).size());

    CliRun bad = new CliRun();
    Path none = tmp.resolve("int4");
    export[4] = none.toString();
    export[6] = "int4";
    assertEquals(2, bad.run(export));
    assertTrue(
        bad.err().contains("--quantize 'int4': expected int8 (or none/fp32 for the default)"),
        bad.err());
    assertFalse(Files.exists(none));
  }
}
