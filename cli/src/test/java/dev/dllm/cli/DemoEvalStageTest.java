package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.pareto.ParetoChart;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's evaluation stage for real on tiny random exports of the four families: training and
 * export are faked (the export stage copies a prepared tiny export), {@code dllm pareto} runs
 * through Main. The table joins every point with its run's validation loss, pareto.png decodes, and
 * a resumed demo skips the finished evaluation unless an export is newer.
 */
class DemoEvalStageTest {
  @TempDir static Path tmp;
  static Path scorer;
  static final Map<String, Double> VAL = Map.of("ar", 2.1, "mdlm", 2.2, "duo", 2.3, "esolm", 2.4);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<List<String>> calls = new ArrayList<>();

  @BeforeAll
  static void exports() throws Exception {
    scorer = TinyExports.export("ar", 21, tmp.resolve("scorer"));
    long seed = 30;
    for (String family : VAL.keySet()) {
      TinyExports.export(family, seed++, tmp.resolve("ex-" + family));
    }
  }

  private int demo(String... given) {
    out.reset();
    // the downstream stage has its own test (DemoDownstreamTest)
    List<String> all = new ArrayList<>(List.of(given));
    if (!all.contains("--resume")) {
      all.add("--no-downstream");
    }
    String[] args = all.toArray(String[]::new);
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        List.of(new DemoCommand(this::stage)));
  }

  private static String value(List<String> a, String option) {
    return a.get(a.indexOf(option) + 1);
  }

  private int stage(String[] args, PrintStream stageOut, PrintStream stageErr) {
    List<String> a = List.of(args);
    calls.add(a);
    try {
      switch (a.get(0)) {
        case "pareto" -> {
          return Main.run(args, stageOut, stageErr);
        }
        case "tokenize" -> Files.writeString(Path.of(value(a, "--out")), "{\"tokens\": 100}");
        case "train" -> {
          Path o = Path.of(value(a, "--out"));
          Files.writeString(
              Files.createDirectories(o.resolve("checkpoint")).resolve("config.json"),
              "{\"training\": {\"step\": 3, \"total_steps\": 3}}");
          Files.writeString(
              o.resolve("train-report.json"),
              "{\"val_nll\": " + VAL.get(value(a, "--family")) + "}");
        }
        case "export" -> {
          String run = Path.of(value(a, "--checkpoint")).getParent().getFileName().toString();
          copyTree(
              tmp.resolve("ex-" + run.substring(0, run.indexOf('-'))), Path.of(value(a, "--out")));
        }
        case "sample" -> {
          Path o = Path.of(value(a, "--out"));
          Files.writeString(o, "{\"text\": \"abc\"}\n");
          Files.writeString(SampleCommand.reportFile(o), "{\"family\": \"x\"}");
        }
        default -> throw new AssertionError(a);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return 0;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q);
        }
      }
    }
  }

  @Test
  void evaluatesEveryExportPrintsTheTableAndResumeSkipsIt() throws Exception {
    Path dir = tmp.resolve("demo");
    int rc =
        demo(
            "demo",
            "--quick",
            "--scorer",
            scorer.toString(),
            "--eval-steps",
            "2,4",
            "--eval-samples",
            "2",
            "--threads",
            "1",
            "--out",
            dir.toString());
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, text);
    List<String> pareto = calls.get(calls.size() - 1);
    assertEquals("pareto", pareto.get(0));
    assertEquals("2", value(pareto, "--num-samples"));
    assertEquals("2", value(pareto, "--batch"));
    assertEquals("1", value(pareto, "--threads"));
    assertEquals(dir.toString(), value(pareto, "--out"));

    JsonNode report = new ObjectMapper().readTree(dir.resolve(DemoEval.REPORT).toFile());
    Map<String, Integer> perFamily = new TreeMap<>();
    for (JsonNode row : report.get("rows")) {
      String fam = row.get("family").asText();
      perFamily.merge(fam, 1, Integer::sum);
      assertEquals(VAL.get(fam), row.get("val_loss").asDouble(), 0.0, row.toString());
      assertEquals(fam.equals("ar") ? "NLL" : "NELBO", row.get("val_loss_kind").asText());
      int t = row.get("steps").asInt();
      assertTrue(fam.equals("ar") ? t == 15 : t == 2 || t == 4, row.toString()); // AR: L - 1
      double ppl = row.get("gen_ppl").asDouble();
      assertTrue(ppl > 1 && Double.isFinite(ppl), row.toString());
      assertTrue(row.get("tokens_per_second").asDouble() > 0, row.toString());
      assertTrue(row.get("nfe").asDouble() > 0, row.toString());
    }
    // AR one setting; MDLM and Eso-LM at T = 2, 4; Duo with and without the greedy tail
    assertEquals(Map.of("ar", 1, "duo", 4, "esolm", 2, "mdlm", 2), perFamily);
    for (String line :
        List.of(
            "   family objective sampler",
            "   ar     ce       kv_cache",
            "   duo    elbo     greedy_tail",
            "   duo    elbo     no_greedy_tail",
            "   esolm  low_var  kv_cache",
            "   mdlm   low_var  default")) {
      assertTrue(text.contains(line), line + "\n" + text);
    }
    assertEquals(10, Files.readAllLines(dir.resolve("pareto.csv")).size());
    BufferedImage img = ImageIO.read(dir.resolve("pareto.png").toFile());
    assertEquals(ParetoChart.WIDTH, img.getWidth());
    assertEquals(ParetoChart.HEIGHT, img.getHeight());

    // resumed: nothing runs, the table is printed again from the files
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), out.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(), calls);
    text = out.toString(StandardCharsets.UTF_8);
    assertTrue(
        text.contains(
            "-- 5/5 evaluate (gen PPL, entropy, tokens/s, NFE; Pareto): finished" + " earlier"),
        text);
    assertTrue(text.contains("   mdlm   low_var  default"), text);

    // an export newer than the measurement (re-exported by hand) makes it stale
    List<Path> exports = new ArrayList<>();
    for (String run : List.of("ar-ce", "mdlm-low_var", "duo-elbo", "esolm-low_var")) {
      exports.add(dir.resolve(run).resolve("onnx"));
    }
    assertTrue(DemoEval.finished(dir, exports));
    Path rep = dir.resolve("duo-elbo").resolve("onnx").resolve("export-report.json");
    Files.setLastModifiedTime(rep, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    assertFalse(DemoEval.finished(dir, exports));
    assertFalse(List.of(pareto.toArray()).contains("--overwrite"), "a fresh demo never overwrites");

    // resumed with a stale measurement: pareto runs again and replaces its own files
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), out.toString(StandardCharsets.UTF_8));
    List<String> again = calls.get(calls.size() - 1);
    assertEquals("pareto", again.get(0));
    assertTrue(again.contains("--overwrite"), again.toString());
    Files.setLastModifiedTime(rep, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    assertTrue(DemoEval.finished(dir, exports));
  }
}
