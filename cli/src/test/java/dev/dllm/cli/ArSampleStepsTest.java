package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm sample --steps}: required for a diffusion family, not for AR (which always takes L-1
 * steps); given to AR, a note says it is ignored.
 */
class ArSampleStepsTest {
  @TempDir Path tmp;

  private static String[] sample(Path model, Path out, String... extra) {
    String[] base = {
      "sample", "--model", model.toString(), "--num-samples", "2", "--out", out.toString()
    };
    String[] a = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, a, base.length, extra.length);
    return a;
  }

  @Test
  void arSamplesWithoutStepsAndSaysAGivenOneIsIgnored() throws Exception {
    Path ar = TinyExports.export("ar", 1, tmp.resolve("ar"));
    CliRun cli = new CliRun();
    Path jsonl = tmp.resolve("a.jsonl");
    assertEquals(0, cli.run(sample(ar, jsonl)), cli.err());
    JsonNode first = new ObjectMapper().readTree(Files.readAllLines(jsonl).get(0));
    assertEquals(15, first.get("steps").asInt(), "L 16: L-1 steps");
    assertFalse(cli.out().contains("ignored"), cli.out());
    cli.clearOut();
    assertEquals(0, cli.run(sample(ar, tmp.resolve("b.jsonl"), "--steps", "3")), cli.err());
    assertTrue(cli.out().contains("--steps 3 is ignored by family ar"), cli.out());
  }

  @Test
  void aDiffusionFamilyStillNeedsSteps() throws Exception {
    Path mdlm = TinyExports.export("mdlm", 2, tmp.resolve("mdlm"));
    CliRun cli = new CliRun();
    assertEquals(2, cli.run(sample(mdlm, tmp.resolve("m.jsonl"))));
    assertTrue(cli.err().contains("--steps"), cli.err());
    assertFalse(Files.exists(tmp.resolve("m.jsonl")));
  }
}
