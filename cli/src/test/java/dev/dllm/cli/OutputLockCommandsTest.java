package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.io.OutputLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 §2: two processes, one output. A second process ({@link LockHolderMain}) holds the
 * output lock of each case, as a running dllm command does; the command under test, started while
 * it holds them, must exit 2 with one line naming the holder's pid and write nothing. Then the
 * holder releases (or is killed) and the output is free again.
 */
class OutputLockCommandsTest {
  @TempDir static Path fixtures;
  @TempDir Path tmp;

  static Path mdlm;
  static Path scorer;
  static Path task;

  @BeforeAll
  static void exports() throws Exception {
    mdlm = TinyExports.export("mdlm", 3, fixtures.resolve("mdlm"));
    scorer = TinyExports.export("ar", 5, fixtures.resolve("ar"));
    task = fixtures.resolve("task");
    CliRun cli = new CliRun();
    assertEquals(
        0,
        cli.run("make-task", "--out", task.toString(), "--train", "8", "--test", "4"),
        cli.err());
  }

  /** One command under test: the output its lock covers, and its arguments. */
  private record Case(String name, Path locked, Path written, String... args) {}

  private List<Case> cases() throws Exception {
    Path run = tmp.resolve("run");
    Path resumed = Files.createDirectories(tmp.resolve("resumed"));
    Path samples = tmp.resolve("s").resolve("samples.jsonl");
    Path evalDir = tmp.resolve("eval");
    Path scored = Files.writeString(tmp.resolve("scored.jsonl"), "{\"text\":\"abc\"}\n");
    Path scoreReport = tmp.resolve("scored.score-report.json");
    Path fitReport = tmp.resolve("fit").resolve("fit-report.json");
    List<Case> c = new ArrayList<>();
    c.add(new Case("train", run, run, CliRun.tinyTrain("mdlm", run)));
    c.add(
        new Case(
            "train --resume",
            resumed,
            resumed.resolve("checkpoint"),
            "train",
            "--resume",
            resumed.toString()));
    c.add(
        new Case(
            "distill --resume",
            resumed,
            resumed.resolve("checkpoint"),
            "distill",
            "--resume",
            resumed.toString()));
    c.add(
        new Case(
            "finetune --resume",
            resumed,
            resumed.resolve("checkpoint"),
            "finetune",
            "--resume",
            resumed.toString()));
    Path sweep = tmp.resolve("sweep");
    c.add(
        new Case(
            "sweep",
            sweep,
            sweep,
            "sweep",
            "--families",
            "mdlm",
            "--presets",
            "xxs",
            "--flops",
            "1e9",
            "--seq-len",
            "16",
            "--batch",
            "4",
            "--out",
            sweep.toString()));
    Path export = tmp.resolve("onnx");
    c.add(
        new Case(
            "export",
            export,
            export,
            "export",
            "--checkpoint",
            fixtures.resolve("mdlm-checkpoint").toString(),
            "--out",
            export.toString()));
    c.add(
        new Case(
            "sample",
            samples,
            samples,
            "sample",
            "--model",
            mdlm.toString(),
            "--num-samples",
            "1",
            "--steps",
            "2",
            "--out",
            samples.toString()));
    c.add(
        new Case(
            "eval",
            evalDir.resolve("eval-report.json"),
            evalDir.resolve("eval-report.json"),
            "eval",
            "--model",
            mdlm.toString(),
            "--max-rows",
            "1",
            "--out",
            evalDir.toString()));
    Path pareto = tmp.resolve("pareto");
    c.add(
        new Case(
            "pareto",
            pareto,
            pareto,
            "pareto",
            "--models",
            mdlm.toString(),
            "--scorer",
            scorer.toString(),
            "--steps",
            "2",
            "--num-samples",
            "1",
            "--out",
            pareto.toString()));
    Path taskEval = tmp.resolve("task-eval");
    c.add(
        new Case(
            "task-eval",
            taskEval,
            taskEval,
            "task-eval",
            "--model",
            mdlm.toString(),
            "--task",
            task.toString(),
            "--limit",
            "1",
            "--steps",
            "2",
            "--max-new-tokens",
            "2",
            "--out",
            taskEval.toString()));
    Path promptEval = tmp.resolve("prompt-eval");
    c.add(
        new Case(
            "prompt-eval",
            promptEval,
            promptEval,
            "prompt-eval",
            "--model",
            mdlm.toString(),
            "--scorer",
            scorer.toString(),
            "--windows",
            "1",
            "--prompt-tokens",
            "4",
            "--new-tokens",
            "4",
            "--steps",
            "2",
            "--out",
            promptEval.toString()));
    c.add(
        new Case(
            "score",
            scoreReport,
            scoreReport,
            "score",
            "--samples",
            scored.toString(),
            "--scorer",
            scorer.toString()));
    c.add(
        new Case(
            "fit",
            fitReport,
            fitReport,
            "fit",
            "--runs",
            fixtures.toString(),
            "--out",
            fitReport.getParent().toString()));
    Path madeTask = tmp.resolve("made-task");
    c.add(new Case("make-task", madeTask, madeTask, "make-task", "--out", madeTask.toString()));
    Path demo = tmp.resolve("demo");
    c.add(new Case("demo", demo, demo, "demo", "--quick", "--out", demo.toString()));
    return c;
  }

  @Test
  void everyCommandThatWritesIsRefusedWhileAnotherProcessHoldsItsOutput() throws Exception {
    List<Case> cases = cases();
    List<Path> targets = cases.stream().map(Case::locked).distinct().toList();
    CliRun cli = new CliRun();
    try (LockHolderMain.Holder holder = new LockHolderMain.Holder(tmp.resolve("holder"), targets)) {
      List<String> failed = new ArrayList<>(); // every case is tried, then all failures shown
      for (Case k : cases) {
        int rc = cli.run(k.args());
        String err = cli.err();
        boolean refused =
            rc == Main.EXIT_BAD_INPUT
                && err.contains(
                    "is in use by another dllm process (pid " + holder.pid + " on host ")
                && err.contains("dllm lock-holder")
                && err.strip().lines().count() == 1;
        if (!refused || Files.exists(k.written())) {
          failed.add(
              k.name() + ": exit " + rc + ", wrote " + Files.exists(k.written()) + ": " + err);
        }
      }
      assertTrue(failed.isEmpty(), String.join("\n", failed));
    }
    // released: the lock files stay (emptied) and block nobody
    Path madeTask = tmp.resolve("made-task");
    assertTrue(Files.exists(OutputLock.lockFile(madeTask, "out")));
    assertEquals(0, cli.run("make-task", "--out", madeTask.toString()), cli.err());
    assertTrue(Files.isRegularFile(madeTask.resolve("task.json")));
  }

  @Test
  void resumingARunThatAnotherProcessTrainsIsRefusedThenContinuesOnceItIsFree() throws Exception {
    Path run = tmp.resolve("run");
    CliRun cli = new CliRun();
    assertEquals(0, cli.run(CliRun.tinyTrain("mdlm", run, "--stop-after", "1")), cli.err());
    Path config = run.resolve("checkpoint").resolve("config.json");
    String before = Files.readString(config);
    try (LockHolderMain.Holder holder =
        new LockHolderMain.Holder(tmp.resolve("holder"), List.of(run))) {
      for (String resume : new String[] {run.toString(), run.resolve("checkpoint").toString()}) {
        assertEquals(Main.EXIT_BAD_INPUT, cli.run("train", "--resume", resume), cli.err());
        assertTrue(
            cli.err()
                .startsWith(
                    "dllm train: --resume "
                        + run
                        + " is in use by another dllm"
                        + " process (pid "
                        + holder.pid),
            cli.err());
      }
      assertEquals(before, Files.readString(config), "the held run is untouched");
    }
    assertEquals(0, cli.run("train", "--resume", run.toString()), cli.err());
    assertTrue(Files.isRegularFile(run.resolve("train-report.json")));
  }

  @Test
  void aKilledHolderLeavesNoLockBehind() throws Exception {
    Path out = tmp.resolve("task");
    CliRun cli = new CliRun();
    LockHolderMain.Holder holder = new LockHolderMain.Holder(tmp.resolve("holder"), List.of(out));
    assertEquals(Main.EXIT_BAD_INPUT, cli.run("make-task", "--out", out.toString()));
    holder.kill(); // kill -9: its line stays in the lock file, the OS lock does not
    assertTrue(Files.readString(OutputLock.lockFile(out, "out")).contains("pid " + holder.pid));
    assertEquals(0, cli.run("make-task", "--out", out.toString()), cli.err());
  }

  @Test
  void aSecondSampleIntoTheSameOutIsRefusedOnceTheFirstHasWritten() throws Exception {
    // sequential processes: the first writes, the second finds the file (the lock is released)
    Path samples = tmp.resolve("samples.jsonl");
    CliRun cli = new CliRun();
    String[] args = {
      "sample",
      "--model",
      mdlm.toString(),
      "--num-samples",
      "1",
      "--steps",
      "2",
      "--out",
      samples.toString()
    };
    assertEquals(0, cli.run(args), cli.err());
    assertEquals(Main.EXIT_BAD_INPUT, cli.run(args));
    assertTrue(cli.err().contains("already exists"), cli.err());
  }
}
