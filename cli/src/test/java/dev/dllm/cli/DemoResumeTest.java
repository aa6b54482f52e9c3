package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm demo} over a fake stage runner that writes each stage's outputs: resume skips the
 * finished stages and continues an interrupted training; stage faults keep their exit code class;
 * training output is streamed as it comes.
 */
class DemoResumeTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<List<String>> calls = new ArrayList<>();
  private String failing;
  private int failCode;

  private int demo(String... args) {
    out.reset();
    err.reset();
    List<String> all = new ArrayList<>(List.of(args));
    if (all.contains("--quick")) {
      all.addAll(List.of("--scorer", tmp.toString())); // a folder; the fake pareto ignores it
    }
    if (!all.contains("--resume")) {
      all.add("--no-downstream"); // the downstream stage has its own test (DemoDownstreamTest)
    }
    return Main.run(
        all.toArray(String[]::new),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        List.of(new DemoCommand(this::fakeStage)));
  }

  private static String value(List<String> a, String option) {
    return a.get(a.indexOf(option) + 1);
  }

  /** Writes what the real command would (only the fields the demo reads). */
  private int fakeStage(String[] args, PrintStream stageOut, PrintStream stageErr) {
    List<String> a = List.of(args);
    calls.add(a);
    if (a.get(0).equals(failing)) {
      stageErr.println("dllm " + failing + ": error: java.lang.IllegalStateException: boom");
      return failCode;
    }
    try {
      Path o = Path.of(value(a, "--out"));
      switch (a.get(0)) {
        case "tokenize" -> Files.writeString(o, "{\"tokens\": 100, \"vocabSize\": 65}");
        case "train" -> {
          stageOut.println("step 1/3 loss 4.0000 lr 1.00e-03 tok/s 100 eta 0m02s");
          // streamed: the line is in the demo's output before the stage returns
          assertTrue(out.toString(StandardCharsets.UTF_8).contains("   step 1/3 loss"));
          Files.writeString(
              Files.createDirectories(o.resolve("checkpoint")).resolve("config.json"),
              "{\"training\": {\"step\": 10, \"total_steps\": 10}}");
          Files.writeString(
              o.resolve("train-report.json"),
              "{\"family\": \"" + value(a, "--family") + "\", \"steps\": 3, \"val_nll\": 2.5}");
        }
        case "export" -> {
          Files.createDirectories(o);
          Files.writeString(o.resolve("export-report.json"), "{}");
        }
        case "sample" -> {
          Files.writeString(o, "{\"text\": \"hello\"}\n");
          Files.writeString(SampleCommand.reportFile(o), "{\"family\": \"x\"}");
        }
        case "pareto" -> {
          Files.writeString(o.resolve("pareto.json"), "{\"settings\": {}, \"points\": []}");
          Files.writeString(o.resolve("pareto.png"), "png");
        }
        default -> throw new AssertionError(a);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return 0;
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void resumeSkipsFinishedStagesAndContinuesAnInterruptedTraining() throws Exception {
    Path dir = tmp.resolve("demo");
    assertEquals(0, demo("demo", "--quick", "--out", dir.toString()), errText());
    assertEquals(
        List.of(
            "tokenize",
            "train",
            "train",
            "train",
            "train",
            "export",
            "export",
            "export",
            "export",
            "sample",
            "sample",
            "sample",
            "sample",
            "pareto"),
        calls.stream().map(c -> c.get(0)).toList());
    assertEquals(
        String.valueOf(DemoStages.CHECKPOINT_EVERY), value(calls.get(1), "--checkpoint-every"));
    assertTrue(Files.isRegularFile(dir.resolve(DemoOptions.FILE)));

    // interrupt the second training at step 5 of 10: no report, a checkpoint, nothing downstream
    Path run = dir.resolve("mdlm-low_var");
    Files.delete(run.resolve("train-report.json"));
    Files.writeString(
        Files.createDirectories(run.resolve("checkpoint")).resolve("config.json"),
        "{\"training\": {\"step\": 5, \"total_steps\": 10}}");
    Files.delete(run.resolve("onnx").resolve("export-report.json"));
    Files.delete(run.resolve("sample-report.json"));
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString(), "--threads", "2"), errText());
    // the re-exported model makes the evaluation stale: it runs again
    assertEquals(
        List.of("train", "export", "sample", "pareto"), calls.stream().map(c -> c.get(0)).toList());
    assertEquals(run.toString(), value(calls.get(0), "--resume"));
    assertEquals("low_var", value(calls.get(0), "--objective"));
    assertEquals("2", value(calls.get(0), "--threads"));
    assertEquals("2e10", value(calls.get(0), "--flops"), "the stored options are reused");
    assertTrue(calls.get(2).contains("--overwrite"), calls.get(2).toString());
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("-- 1/5 tokenize: finished earlier"), text);
    assertTrue(text.contains("resuming mdlm (low_var)"), text);

    // everything finished: a second resume runs nothing
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), errText());
    assertEquals(List.of(), calls);
  }

  @Test
  void aFinalCheckpointWithoutReportIsKeptAsideAndTrainedAgain() throws Exception {
    Path dir = tmp.resolve("demo");
    assertEquals(0, demo("demo", "--quick", "--out", dir.toString()), errText());
    Path run = dir.resolve("ar-ce");
    Files.delete(run.resolve("train-report.json"));
    Files.writeString(
        Files.createDirectories(run.resolve("checkpoint")).resolve("config.json"),
        "{\"training\": {\"step\": 10, \"total_steps\": 10}}");
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), errText());
    // its export and samples moved aside with it, so they are made again too
    assertEquals(
        List.of("train", "export", "sample", "pareto"), calls.stream().map(c -> c.get(0)).toList());
    assertFalse(calls.get(0).contains("--resume"));
    try (var s = Files.list(dir)) {
      assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("ar-ce.incomplete-")));
    }
  }

  @Test
  void aReportOfAnUnfinishedSegmentDoesNotCountAsFinished() throws Exception {
    Path dir = tmp.resolve("demo");
    assertEquals(0, demo("demo", "--quick", "--out", dir.toString()), errText());
    // e.g. a run stopped with --stop-after: report and checkpoint at step 4 of 10
    Path run = dir.resolve("duo-elbo");
    Files.writeString(
        Files.createDirectories(run.resolve("checkpoint")).resolve("config.json"),
        "{\"training\": {\"step\": 4, \"total_steps\": 10}}");
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), errText());
    assertEquals(List.of("train"), calls.stream().map(c -> c.get(0)).toList());
    assertEquals(run.toString(), value(calls.get(0), "--resume"));
  }

  @Test
  void resumeRefusesChangedOptionsAndForeignFolders() throws Exception {
    Path dir = tmp.resolve("demo");
    assertEquals(0, demo("demo", "--quick", "--out", dir.toString()), errText());
    calls.clear();
    assertEquals(Main.EXIT_BAD_INPUT, demo("demo", "--resume", dir.toString(), "--flops", "1e12"));
    assertTrue(
        errText().contains("--flops 1e12: the demo being resumed was started with --flops 2e10"),
        errText());
    assertEquals(Main.EXIT_BAD_INPUT, demo("demo", "--resume", tmp.toString()));
    assertTrue(errText().contains("demo-options.json is missing"), errText());
    assertEquals(
        Main.EXIT_BAD_INPUT,
        demo("demo", "--resume", dir.toString(), "--out", tmp.resolve("x").toString()));
    assertTrue(errText().contains("differs from --resume"), errText());
    assertEquals(List.of(), calls);
    // a non-empty --out without --resume says how to continue
    assertEquals(Main.EXIT_BAD_INPUT, demo("demo", "--quick", "--out", dir.toString()));
    assertTrue(errText().contains("--resume " + dir), errText());
  }

  @Test
  void aStageFaultExitsOneAndBadInputTwo() {
    failing = "train";
    failCode = 1;
    assertEquals(1, demo("demo", "--quick", "--out", tmp.resolve("a").toString()));
    String e = errText();
    assertTrue(e.startsWith("dllm demo: stage 'dllm train --family ar"), e);
    assertTrue(
        e.contains("failed (exit 1): dllm train: error: java.lang.IllegalStateException: boom"), e);
    assertTrue(e.contains("dllm demo --resume " + tmp.resolve("a")), e);
    assertEquals(1, e.lines().count(), e);

    failCode = Main.EXIT_BAD_INPUT;
    assertEquals(
        Main.EXIT_BAD_INPUT, demo("demo", "--quick", "--out", tmp.resolve("b").toString()));
    assertTrue(errText().contains("failed (exit 2)"), errText());
  }
}
