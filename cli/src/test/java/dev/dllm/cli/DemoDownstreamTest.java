package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.task.TaskChart;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's downstream stage for real at a tiny size (a 40-item task, two optimizer steps per
 * family, 8 test items): the Tiny Shakespeare stages are faked, the downstream commands ({@code
 * make-task}, {@code train}, {@code finetune}, {@code export}, {@code task-eval}) run through Main.
 * The stage writes its table, {@code downstream.json}, {@code downstream.png} and its section of
 * the demo report; a resumed demo skips it, and redoes only a deleted evaluation.
 */
class DemoDownstreamTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<List<String>> real = new ArrayList<>();

  /** Two steps of xxs at B 4, L 72 per family; T 4 over 8 test items of the short style. */
  static final DemoDownstream.Knobs TINY =
      new DemoDownstream.Knobs(0, 1, 5, 40, 8, "xxs", 72, 4, "4.4e8", "2e-3", 32, 4, "short");

  private int demo(String... args) {
    out.reset();
    PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
    return Main.run(args, p, p, List.of(new DemoCommand(this::stage, TINY)));
  }

  private static String value(List<String> a, String option) {
    return a.get(a.indexOf(option) + 1);
  }

  private int stage(String[] args, PrintStream stageOut, PrintStream stageErr) {
    List<String> a = List.of(args);
    if (String.join(" ", a).contains(DemoDownstream.DIR)) {
      real.add(a);
      return Main.run(args, stageOut, stageErr);
    }
    try {
      switch (a.get(0)) {
        case "tokenize" -> Files.writeString(Path.of(value(a, "--out")), "{\"tokens\": 100}");
        case "train" -> {
          Path o = Path.of(value(a, "--out"));
          Files.writeString(
              Files.createDirectories(o.resolve("checkpoint")).resolve("config.json"),
              "{\"training\": {\"step\": 3, \"total_steps\": 3}}");
          Files.writeString(o.resolve("train-report.json"), "{\"val_nll\": 2.0}");
        }
        case "export" ->
            Files.writeString(
                Files.createDirectories(Path.of(value(a, "--out"))).resolve("export-report.json"),
                "{}");
        case "sample" -> {
          Path o = Path.of(value(a, "--out"));
          Files.writeString(o, "{\"text\": \"abc\"}\n");
          Files.writeString(SampleCommand.reportFile(o), "{\"family\": \"x\"}");
        }
        case "pareto" -> {
          Path o = Path.of(value(a, "--out"));
          Files.writeString(o.resolve("pareto.json"), "{\"points\": [], \"settings\": {}}");
          Files.writeString(o.resolve("pareto.png"), "png");
        }
        default -> throw new AssertionError(a);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return 0;
  }

  @Test
  void trainsEveryRecipeAtEqualFlopsWritesTableReportChartAndResumes() throws Exception {
    Path dir = tmp.resolve("demo");
    int rc =
        demo(
            "demo",
            "--quick",
            "--downstream",
            "--scorer",
            tmp.toString(),
            "--threads",
            "1",
            "--out",
            dir.toString());
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, text);
    assertTrue(text.contains("-- 6/6 downstream task"), text);
    assertTrue(text.contains("   family objective  val loss  strict acc [95% CI]"), text);
    assertTrue(text.contains("   base   majority"), text);

    JsonNode r = new ObjectMapper().readTree(dir.resolve(DemoDownstream.REPORT).toFile());
    assertEquals(4, r.get("rows").size());
    Set<String> families = new HashSet<>();
    Set<Double> flops = new HashSet<>();
    for (JsonNode row : r.get("rows")) {
      families.add(row.get("family").asText());
      flops.add(row.get("train_flops").asDouble());
      assertEquals(2, row.get("train_steps").asInt(), row.toString());
      assertTrue(Double.isFinite(row.get("val_loss").asDouble()), row.toString());
      for (String kind : List.of("strict", "flexible")) {
        JsonNode acc = row.get(kind);
        assertEquals(8, acc.get("n").asInt());
        double x = acc.get("accuracy").asDouble();
        assertTrue(acc.get("ci95_low").asDouble() <= x && x <= acc.get("ci95_high").asDouble());
      }
      assertTrue(row.get("tokens_per_second").asDouble() > 0, row.toString());
      assertTrue(row.get("nfe").asDouble() > 0, row.toString());
    }
    assertEquals(Set.of("ar", "mdlm", "duo", "esolm"), families);
    assertEquals(1, flops.size(), "equal FLOPs: " + flops);
    assertTrue(r.get("majority_baseline").get("accuracy").asDouble() > 0);
    assertEquals(4, r.get("val_loss_ordering").size());
    JsonNode demoReport = new ObjectMapper().readTree(dir.resolve(DemoEval.REPORT).toFile());
    assertEquals(r, demoReport.get("downstream"));
    BufferedImage img = ImageIO.read(dir.resolve(DemoDownstream.CHART).toFile());
    assertEquals(TaskChart.WIDTH, img.getWidth());
    assertEquals(TaskChart.HEIGHT, img.getHeight());
    // every family's fine-tuning starts from its own fresh init on the task's char vocabulary
    long inits = real.stream().filter(c -> c.get(0).equals("train")).count();
    assertEquals(4, inits);
    for (List<String> c : real) {
      if (c.get(0).equals("finetune")) {
        assertEquals("4.4e8", value(c, "--flops"));
      }
    }

    // resumed: nothing of the stage runs again, the table is printed from its report
    real.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), out.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(), real);
    text = out.toString(StandardCharsets.UTF_8);
    assertTrue(
        text.contains("-- 6/6 downstream task (equal FLOPs, SFT, task-eval): finished"), text);
    assertTrue(text.contains("   base   majority"), text);

    // one evaluation lost: only it runs again
    Path te = dir.resolve(DemoDownstream.DIR).resolve("duo-elbo").resolve("task-eval");
    Files.delete(te.resolve(dev.dllm.eval.task.TaskEvalRun.REPORT));
    assertEquals(0, demo("demo", "--resume", dir.toString()), out.toString(StandardCharsets.UTF_8));
    assertEquals(1, real.size(), real.toString());
    assertEquals("task-eval", real.get(0).get(0));
    assertTrue(real.get(0).contains("--overwrite"));
    assertTrue(Files.isRegularFile(te.resolve(dev.dllm.eval.task.TaskEvalRun.REPORT)));

    // --no-downstream: the demo stops after the evaluation
    real.clear();
    Path other = tmp.resolve("other");
    assertEquals(
        0,
        demo(
            "demo",
            "--quick",
            "--scorer",
            tmp.toString(),
            "--no-downstream",
            "--out",
            other.toString()),
        out.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(), real);
    assertFalse(Files.exists(other.resolve(DemoDownstream.REPORT)));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("-- 5/5 evaluate"));
  }
}
