package dev.dllm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dllm commands of the downstream stage ({@link DemoDownstream}), each skipped when its output
 * tells that it finished: {@code make-task}, per run a one-step {@code train} that writes the fresh
 * initialization, the SFT {@code finetune} (or {@code finetune --resume}), {@code export} and
 * {@code task-eval}.
 */
final class DemoDownstreamSteps {
  private final DemoDownstreamLayout layout;
  private final DemoOptions o;
  private final DemoDownstream.Knobs k;
  private final boolean resume;
  private final PrintStream out;
  private final DemoDownstream.Stages stages;

  DemoDownstreamSteps(
      DemoDownstreamLayout layout,
      DemoOptions o,
      DemoDownstream.Knobs k,
      boolean resume,
      PrintStream out,
      DemoDownstream.Stages stages) {
    this.layout = layout;
    this.o = o;
    this.k = k;
    this.resume = resume;
    this.out = out;
    this.stages = stages;
  }

  /** Writes the task with {@code dllm make-task} unless its {@code task.json} exists. */
  void makeTask() {
    Path task = layout.task();
    if (!Files.isRegularFile(task.resolve("task.json"))) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "make-task",
                  "--out",
                  task.toString(),
                  "--seed",
                  Long.toString(k.seed()),
                  "--steps",
                  Integer.toString(k.taskSteps()),
                  "--max-number",
                  Integer.toString(k.maxNumber()),
                  "--style",
                  k.style(),
                  "--train",
                  Integer.toString(k.trainItems()),
                  "--test",
                  Integer.toString(k.testItems())));
      if (resume) {
        args.add("--overwrite"); // files an interrupted make-task left are its own
      }
      stages.stage(false, args.toArray(String[]::new));
    }
  }

  /** Trains, exports and evaluates one (family, objective) run, skipping what finished. */
  void run(String[] run) throws IOException {
    train(run);
    export(run);
    evaluate(run);
  }

  private void train(String[] run) throws IOException {
    Path rd = layout.runDir(run);
    Path init = rd.resolve("init");
    Path sft = rd.resolve("sft");
    String what = run[0] + " (" + run[1] + ")";
    if (!Files.isRegularFile(init.resolve("train-report.json"))) {
      aside(init);
      stages.stage(
          false,
          "train",
          "--family",
          run[0],
          "--objective",
          run[1],
          "--preset",
          k.preset(),
          "--tokenizer",
          "char",
          "--data",
          layout.task().resolve("train.txt").toString(),
          "--mode",
          "pack",
          "--seq-len",
          Integer.toString(k.seqLen()),
          "--batch",
          Integer.toString(k.batch()),
          "--steps",
          "1",
          "--lr",
          "1e-9",
          "--val-batches",
          "1",
          "--threads",
          o.get("threads"),
          "--out",
          init.toString());
    }
    boolean interrupted = stages.resumable(sft);
    if (Files.isRegularFile(sft.resolve("train-report.json")) && !interrupted) {
      out.println("   fine-tuning " + what + ": finished earlier");
      return;
    }
    List<String> args;
    if (interrupted) {
      out.println("   resuming the fine-tuning of " + what + " -> " + sft);
      args = new ArrayList<>(List.of("finetune", "--resume", sft.toString()));
    } else {
      aside(sft);
      out.println("   fine-tuning " + what + " from a fresh init -> " + sft);
      args =
          new ArrayList<>(
              List.of(
                  "finetune",
                  "--init-from",
                  init.toString(),
                  "--data",
                  layout.task().resolve("train.jsonl").toString(),
                  "--objective",
                  run[1],
                  "--flops",
                  k.flops(),
                  "--lr",
                  k.lr(),
                  "--seq-len",
                  Integer.toString(k.seqLen()),
                  "--batch",
                  Integer.toString(k.batch()),
                  "--out",
                  sft.toString()));
    }
    args.addAll(
        List.of(
            "--threads",
            o.get("threads"),
            "--checkpoint-every",
            Integer.toString(DemoStages.CHECKPOINT_EVERY)));
    stages.stage(true, args.toArray(String[]::new));
  }

  /** Moves an unfinished folder aside (kept, never deleted) so the step can run again. */
  private void aside(Path p) throws IOException {
    if (Files.exists(p)) {
      Path to = p.resolveSibling(p.getFileName() + ".incomplete-" + System.currentTimeMillis());
      Files.move(p, to);
      out.println("   (" + p + " was unfinished; kept as " + to + ")");
    }
  }

  private void export(String[] run) {
    Path rd = layout.runDir(run);
    Path onnx = rd.resolve("onnx");
    if (Files.isRegularFile(onnx.resolve("export-report.json"))) {
      return;
    }
    stages.stage(
        false,
        "export",
        "--checkpoint",
        rd.resolve("sft").resolve("checkpoint").toString(),
        "--out",
        onnx.toString());
  }

  private void evaluate(String[] run) throws IOException {
    Path te = layout.runDir(run).resolve("task-eval");
    if (Files.isRegularFile(layout.evalReport(run))
        && Files.getLastModifiedTime(layout.evalReport(run)).toMillis()
            >= Files.getLastModifiedTime(
                    layout.runDir(run).resolve("onnx").resolve("export-report.json"))
                .toMillis()) {
      return;
    }
    List<String> args =
        new ArrayList<>(
            List.of(
                "task-eval",
                "--model",
                layout.runDir(run).resolve("onnx").toString(),
                "--task",
                layout.task().toString(),
                "--out",
                te.toString(),
                "--steps",
                Integer.toString(k.samplerSteps()),
                "--max-new-tokens",
                Integer.toString(k.maxNewTokens()),
                "--batch",
                "8",
                "--seed",
                "0",
                "--threads",
                o.get("threads")));
    if (Files.exists(te)) {
      args.add("--overwrite"); // the folder is the stage's own (interrupted or stale)
    }
    stages.stage(false, args.toArray(String[]::new));
  }
}
