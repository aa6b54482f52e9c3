package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
      // entropy over the ids gen PPL scores: the row minus PAD and MASK
      dev.dllm.api.tokenize.SpecialTokens sp =
          Tokenizers.create("char", "abcdefgh ijklmnop.").specials();
      Map<Integer, Integer> counts = new HashMap<>();
      n.get("ids")
          .forEach(
              id -> {
                if (id.asInt() != sp.pad() && id.asInt() != sp.mask()) {
                  counts.merge(id.asInt(), 1, Integer::sum);
                }
              });
      double kept = counts.values().stream().mapToInt(Integer::intValue).sum();
      double h = 0;
      for (int c : counts.values()) {
        h -= (c / kept) * Math.log(c / kept);
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
    // AR takes L-1 steps whatever --steps says (defect 12)
    assertEquals(15, first.get("steps").asInt());
    JsonNode report = new ObjectMapper().readTree(tmp.resolve("ar.sample-report.json").toFile());
    assertEquals(15, report.get("steps").asInt());
  }

  private Path export(String family, Attention a) throws Exception {
    Path ex = tmp.resolve("export-" + family);
    assertEquals(
        0,
        run("export", "--checkpoint", checkpoint(family, a).toString(), "--out", ex.toString()),
        err.toString(StandardCharsets.UTF_8));
    return ex;
  }

  private int sample(Path model, String outFile, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "sample",
                "--model",
                model.toString(),
                "--num-samples",
                "1",
                "--steps",
                "2",
                "--out",
                outFile));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void twoJsonlFilesInOneFolderKeepTheirOwnReports() throws Exception {
    Path ex = export("mdlm", Attention.BIDIRECTIONAL);
    Path dir = tmp.resolve("two");
    assertEquals(0, sample(ex, dir.resolve("a.jsonl").toString()), errText());
    assertEquals(0, sample(ex, dir.resolve("b.jsonl").toString(), "--seed", "3"), errText());
    Path ra = dir.resolve("a.sample-report.json");
    Path rb = dir.resolve("b.sample-report.json");
    assertTrue(Files.isRegularFile(ra));
    assertTrue(Files.isRegularFile(rb));
    assertEquals(0, new ObjectMapper().readTree(ra.toFile()).get("seed").asInt());
    assertEquals(3, new ObjectMapper().readTree(rb.toFile()).get("seed").asInt());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(rb.toString()));
    assertEquals(
        dir.resolve("sample-report.json"), SampleCommand.reportFile(dir.resolve("samples.jsonl")));
  }

  @Test
  void badOutPathsAreRefusedBeforeSampling() throws Exception {
    Path ex = export("mdlm", Attention.BIDIRECTIONAL);
    Path file = Files.writeString(tmp.resolve("plain"), "x");
    assertEquals(Main.EXIT_BAD_INPUT, sample(ex, file.resolve("s.jsonl").toString()));
    assertTrue(errText().contains(file + " is not a directory"), errText());
    assertEquals(
        Main.EXIT_BAD_INPUT, sample(ex, Files.createDirectories(tmp.resolve("d")).toString()));
    assertTrue(errText().contains("is a directory"), errText());
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "export",
            "--checkpoint",
            checkpoint("ar", Attention.CAUSAL).toString(),
            "--out",
            file.resolve("e").toString()));
    assertTrue(errText().contains("--out " + file.resolve("e")), errText());
    assertFalse(errText().contains("Exception"), errText());
  }

  @Test
  void hugeLengthIsRefusedUpFront() throws Exception {
    Path ex = export("mdlm", Attention.BIDIRECTIONAL);
    assertEquals(
        Main.EXIT_BAD_INPUT, sample(ex, tmp.resolve("h.jsonl").toString(), "--length", "100000"));
    assertTrue(errText().contains("--length 100000"), errText());
    assertFalse(Files.exists(tmp.resolve("h.jsonl")));
  }

  @Test
  void checkpointGivenAsModelSaysHowToExport() throws Exception {
    Path ck = checkpoint("mdlm", Attention.BIDIRECTIONAL);
    assertEquals(Main.EXIT_BAD_INPUT, sample(ck, tmp.resolve("c.jsonl").toString()));
    assertTrue(errText().contains("is a training checkpoint, not an export"), errText());
    assertTrue(errText().contains("dllm export --checkpoint " + ck), errText());
  }

  @Test
  void exportPrintsReadableSummary() throws Exception {
    export("ar", Attention.CAUSAL);
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.matches("(?s)exported ar: V=\\d+, L=16, d=16, .*"), text);
    assertTrue(text.contains("model.onnx"), text);
    assertTrue(text.contains("decode.onnx"), text);
    assertTrue(text.contains("nodes"), text);
    assertTrue(text.contains("2 graphs written"), text);
    assertFalse(text.contains("{"), text);
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
