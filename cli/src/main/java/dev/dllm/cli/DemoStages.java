package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The stages of {@code dllm demo}, each another dllm command run in this JVM: tokenize, (with
 * {@code --minutes}: calibrate the budget, {@link DemoBudget}), train AR, MDLM, Duo and Eso-LM at
 * the same FLOPs, export all four, sample each, evaluate all ({@link DemoEval}: {@code dllm
 * pareto}, then one table). Training streams its progress (a bar on a terminal, a line at least
 * every 10 s otherwise); the other stages' output is summarised.
 *
 * <p>Each stage's outputs tell whether it finished, so a resumed demo skips it: {@code
 * tokenize.json}; a run's {@code train-report.json} (written after its final checkpoint; a run with
 * only a checkpoint is continued with {@code train --resume}); an export's {@code
 * export-report.json} (the export folder is replaced atomically); a sample file with its report;
 * {@code pareto.json} and {@code pareto.png} newer than every export. Training checkpoints every
 * {@link #CHECKPOINT_EVERY} steps so an interruption loses little.
 *
 * <p>Exit codes: a stage's bad input (exit 2) stays bad input; any other stage failure is ours and
 * exits 1 ({@link StageFailedException}).
 *
 * <p>This class orders the stages; running one and the resume check are in {@link DemoStageRunner},
 * the printed tables in {@link DemoStageTables}, the downstream stage in {@link DemoDownstream}.
 */
final class DemoStages {
  /** Training checkpoints every this many steps, so that {@code --resume} loses little work. */
  static final int CHECKPOINT_EVERY = 25;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * (family, objective) of every demo run: the paper's four recipes (spec §0): AR with CE, MDLM and
   * Eso-LM (alpha_0 = 1) with the low-variance objective, Duo with its exact ELBO.
   */
  private static final String[][] RUNS = {
    {"ar", "ce"}, {"mdlm", "low_var"}, {"duo", "elbo"}, {"esolm", "low_var"}
  };

  private final Path dir;
  private DemoOptions o;
  private final boolean resume;
  private final PrintStream out;
  private final DemoStageRunner stages;
  private DemoDownstream.Knobs knobs;

  /** How a stage runs a dllm command: {@link Main#run} (tests substitute a fake). */
  @FunctionalInterface
  interface Runner {
    int run(String[] args, PrintStream out, PrintStream err);
  }

  DemoStages(
      Path dir,
      DemoOptions options,
      boolean resume,
      boolean verbose,
      PrintStream out,
      Runner runner) {
    this.dir = dir;
    this.o = options;
    this.resume = resume;
    this.out = out;
    this.stages = new DemoStageRunner(dir, verbose, out, runner);
  }

  /** Other knobs for the downstream stage (tests); null: those of the demo form. */
  DemoStages withDownstreamKnobs(DemoDownstream.Knobs k) {
    this.knobs = k;
    return this;
  }

  void run() throws IOException {
    long t0 = System.nanoTime();
    boolean downstream = o.downstream();
    String n = downstream ? "/6" : "/5";
    out.println(
        "== dllm demo: Tiny Shakespeare, char tokenizer, "
            + o.get("preset")
            + ", L "
            + o.get("seq-len")
            + (resume ? " (resuming " + dir + ")" : ""));
    Path tokJson = dir.resolve("tokenize.json");
    if (Files.isRegularFile(tokJson)) {
      out.println("-- 1" + n + " tokenize: finished earlier");
    } else {
      out.println("-- 1" + n + " tokenize");
      stage(
          false,
          "tokenize",
          "--tokenizer",
          "char",
          "--seq-len",
          o.get("seq-len"),
          "--mode",
          "pack",
          "--out",
          tokJson.toString());
    }
    out.printf(Locale.ROOT, "   %s%n", DemoCommand.oneLine(JSON.readTree(tokJson.toFile())));

    if (o.get("flops").equals(DemoOptions.AUTO)) {
      calibrate(t0);
    }

    List<JsonNode> reports = new ArrayList<>();
    out.println("-- 2" + n + " train (" + o.get("flops") + " FLOPs each)");
    for (String[] run : RUNS) {
      Path runDir = dir.resolve(run[0] + "-" + run[1]);
      Path report = runDir.resolve("train-report.json");
      String what = run[0] + " (" + run[1] + ") -> " + runDir;
      if (Files.isRegularFile(report) && !resumable(runDir)) {
        out.println("   training " + what + ": finished earlier");
      } else {
        boolean interrupted = resumable(runDir);
        out.println((interrupted ? "   resuming " : "   training ") + what);
        List<String> args = new ArrayList<>(DemoBudget.trainArgs(o, run[0], run[1], runDir));
        args.addAll(
            List.of(
                "--flops",
                o.get("flops"),
                "--checkpoint-every",
                Integer.toString(CHECKPOINT_EVERY)));
        if (interrupted) {
          args.addAll(List.of("--resume", runDir.toString()));
        }
        stage(true, args.toArray(String[]::new));
      }
      reports.add(JSON.readTree(report.toFile()));
    }
    DemoStageTables.printTable(out, reports);

    out.println("-- 3" + n + " export to ONNX");
    for (String[] run : RUNS) {
      Path runDir = dir.resolve(run[0] + "-" + run[1]);
      Path onnx = runDir.resolve("onnx");
      if (Files.isRegularFile(onnx.resolve("export-report.json"))) {
        out.println("   " + onnx + ": finished earlier");
        continue;
      }
      stage(
          false,
          "export",
          "--checkpoint",
          runDir.resolve("checkpoint").toString(),
          "--out",
          onnx.toString());
      out.println("   " + onnx);
    }

    out.println("-- 4" + n + " sample with ONNX Runtime");
    for (String[] run : RUNS) {
      Path runDir = dir.resolve(run[0] + "-" + run[1]);
      Path jsonl = runDir.resolve("samples.jsonl");
      Path sampleReport = SampleCommand.reportFile(jsonl);
      if (Files.isRegularFile(jsonl) && Files.isRegularFile(sampleReport)) {
        out.println("   " + run[0] + ": finished earlier");
      } else {
        List<String> args =
            new ArrayList<>(
                List.of(
                    "sample",
                    "--model",
                    runDir.resolve("onnx").toString(),
                    "--num-samples",
                    o.get("num-samples"),
                    "--steps",
                    o.get("steps"),
                    "--batch",
                    o.get("num-samples"),
                    "--seed",
                    "0",
                    "--threads",
                    o.get("threads"),
                    "--out",
                    jsonl.toString()));
        if (resume) {
          args.add("--overwrite"); // an interrupted stage may have left the samples alone
        }
        stage(false, args.toArray(String[]::new));
      }
      DemoStageTables.printSamples(out, jsonl, JSON.readTree(sampleReport.toFile()));
    }

    List<Path> exports = new ArrayList<>();
    for (String[] run : RUNS) {
      exports.add(dir.resolve(run[0] + "-" + run[1]).resolve("onnx"));
    }
    if (DemoEval.finished(dir, exports)) {
      out.println(
          "-- 5" + n + " evaluate (gen PPL, entropy, tokens/s, NFE; Pareto): finished earlier");
    } else {
      out.println(
          "-- 5"
              + n
              + " evaluate at T = "
              + o.get("eval-steps")
              + " (AR: L-1 with its KV cache), "
              + o.get("eval-samples")
              + " samples per point, scorer "
              + o.get("scorer"));
      stage(true, DemoEval.paretoArgs(dir, o, exports, resume));
    }
    DemoEval.table(dir, RUNS, o, out);
    if (downstream) {
      downstream(n);
    }
    out.println("== reports and checkpoints under " + dir.toAbsolutePath());
  }

  /**
   * The downstream stage ({@link DemoDownstream}): the four recipes trained at equal FLOPs on the
   * laptop arithmetic task and evaluated on its test split; its report joins the demo report.
   */
  private void downstream(String n) throws IOException {
    DemoDownstream d =
        new DemoDownstream(
            dir,
            o,
            knobs != null
                ? knobs
                : o.quick() ? DemoDownstream.Knobs.quick() : DemoDownstream.Knobs.full(),
            RUNS,
            resume,
            out,
            stages);
    java.util.Map<String, Object> report;
    if (d.finished()) {
      out.println("-- 6" + n + " downstream task (equal FLOPs, SFT, task-eval): finished earlier");
      report = d.load();
    } else {
      out.println(
          "-- 6"
              + n
              + " downstream task: the four recipes trained at equal FLOPs on the laptop"
              + " arithmetic task, accuracy on its test split");
      report = d.run();
    }
    DemoDownstream.addToDemoReport(dir, report);
  }

  /**
   * Turns {@code --minutes} into the per-model budget ({@link DemoBudget}): a short AR calibration
   * run (kept in {@code calibration/}, reused by a resumed demo) measures FLOPs per second; the
   * budget is stored in the demo's options.
   */
  private void calibrate(long t0) throws IOException {
    Path cal = dir.resolve("calibration");
    Path report = cal.resolve("train-report.json");
    if (Files.isRegularFile(report)) {
      out.println("   --minutes: calibration finished earlier");
    } else {
      if (Files.exists(cal)) {
        Files.move(cal, cal.resolveSibling("calibration.incomplete-" + System.currentTimeMillis()));
      }
      out.println(
          "   --minutes "
              + o.get("minutes")
              + ": measuring the training rate ("
              + DemoBudget.calibrationSteps(o)
              + " AR steps)");
      stage(false, DemoBudget.calibrationArgs(o, cal));
    }
    JsonNode r = JSON.readTree(report.toFile());
    double c =
        DemoBudget.flops(
            r, o.get("minutes"), (System.nanoTime() - t0) / 1e9, o.quick(), o.downstream());
    o = o.with("flops", DemoBudget.fmt(c));
    o.save(dir);
    out.println("   " + DemoBudget.describe(r, o.get("flops"), c));
  }

  /** {@link DemoStageRunner#resumable}. */
  private boolean resumable(Path runDir) throws IOException {
    return stages.resumable(runDir);
  }

  /** {@link DemoStageRunner#stage}. */
  private void stage(boolean stream, String... args) {
    stages.stage(stream, args);
  }
}
