package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm export} then {@code dllm sample} end to end on tiny checkpoints. */
class ExportSampleCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private Path checkpoint(String family, Attention a) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, a, 0.0);
    Path ck = tmp.resolve("ck-" + family);
    Checkpoint.save(
        ck,
        DitInit.random(cfg, 3, 0.3),
        Map.of(),
        Map.of("steps", 7, "tokens", 1792, "seq_len", 16, "val_nll", 2.5),
        tok,
        family);
    return ck;
  }

  @Test
  void exportThenSampleMdlmWritesJsonlAndReport() throws Exception {
    Path ex = tmp.resolve("export-mdlm");
    assertEquals(
        0,
        run(
            "export",
            "--checkpoint",
            checkpoint("mdlm", Attention.BIDIRECTIONAL).toString(),
            "--out",
            ex.toString()),
        err.toString(StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(ex.resolve("model.onnx")));
    assertTrue(Files.isRegularFile(ex.resolve("export-report.json")));
    Path jsonl = tmp.resolve("s/samples.jsonl");
    assertEquals(
        0,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "5",
            "--steps",
            "6",
            "--batch",
            "2",
            "--seed",
            "1",
            "--out",
            jsonl.toString()),
        err.toString(StandardCharsets.UTF_8));
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(jsonl);
    assertEquals(5, lines.size());
    double entropySum = 0;
    double nfeSum = 0;
    for (String line : lines) {
      JsonNode n = json.readTree(line);
      assertEquals(16, n.get("ids").size());
      assertEquals(6, n.get("steps").asInt());
      assertTrue(n.get("text").isTextual());
      Map<Integer, Integer> counts = new HashMap<>();
      n.get("ids").forEach(id -> counts.merge(id.asInt(), 1, Integer::sum));
      double h = 0;
      for (int c : counts.values()) {
        h -= (c / 16.0) * Math.log(c / 16.0);
      }
      entropySum += h;
      nfeSum += n.get("nfe").asDouble();
    }
    JsonNode report = json.readTree(jsonl.resolveSibling("sample-report.json").toFile());
    assertEquals("mdlm", report.get("family").asText());
    assertEquals(5, report.get("num_samples").asInt());
    assertEquals(16, report.get("seq_len").asInt());
    assertEquals(2, report.get("batch").asInt());
    assertEquals("cpu", report.get("provider").asText());
    assertEquals(entropySum / 5, report.get("entropy_mean").asDouble(), 1e-12);
    assertEquals(nfeSum / 5, report.get("nfe_mean").asDouble(), 1e-12);
    assertTrue(report.get("tokens_per_second").asDouble() > 0);
  }

  @Test
  void arExportHasDecodeGraphAndProvenance() throws Exception {
    Path ex = tmp.resolve("export-ar");
    assertEquals(
        0,
        run(
            "export",
            "--checkpoint",
            checkpoint("ar", Attention.CAUSAL).toString(),
            "--out",
            ex.toString()),
        err.toString(StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(ex.resolve("decode.onnx")));
    JsonNode r = new ObjectMapper().readTree(ex.resolve("export-report.json").toFile());
    assertEquals(7, r.get("training").get("steps").asInt());
    assertEquals(2.5, r.get("training").get("val_nll").asDouble());
    Path jsonl = tmp.resolve("ar.jsonl");
    assertEquals(
        0,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "2",
            "--steps",
            "1",
            "--out",
            jsonl.toString()),
        err.toString(StandardCharsets.UTF_8));
    JsonNode first = new ObjectMapper().readTree(Files.readAllLines(jsonl).get(0));
    assertEquals(15, first.get("nfe").asInt());
  }

  @Test
  void badInputExitsWithCodeTwo() throws Exception {
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "sample",
            "--model",
            tmp.resolve("missing").toString(),
            "--num-samples",
            "1",
            "--steps",
            "2",
            "--out",
            tmp.resolve("x.jsonl").toString()));
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "export",
            "--checkpoint",
            tmp.resolve("missing").toString(),
            "--out",
            tmp.resolve("e").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("missing"));
  }
}
