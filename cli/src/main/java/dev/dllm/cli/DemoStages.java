package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
  private final boolean verbose;
  private final PrintStream out;
  private final Runner runner;
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
    this.verbose = verbose;
    this.out = out;
    this.runner = runner;
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
    printTable(reports);

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
      printSamples(jsonl, JSON.readTree(sampleReport.toFile()));
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
            new DemoDownstream.Stages() {
              @Override
              public void stage(boolean stream, String... args) {
                DemoStages.this.stage(stream, args);
              }

              @Override
              public boolean resumable(Path runDir) throws IOException {
                return DemoStages.this.resumable(runDir);
              }
            });
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

  /**
   * True when {@code runDir} holds a checkpoint that {@code train --resume} can continue (one
   * before the run's last step). A run whose checkpoint is final but whose report is missing
   * (stopped while validating) cannot be resumed: it is moved aside (kept, never deleted) and
   * trained again.
   */
  boolean resumable(Path runDir) throws IOException {
    Path config = runDir.resolve("checkpoint").resolve("config.json");
    if (!Files.isRegularFile(config)) {
      config = runDir.resolve(".checkpoint.prev").resolve("config.json");
    }
    if (!Files.isRegularFile(config)) {
      return false;
    }
    JsonNode training = JSON.readTree(config.toFile()).path("training");
    long step = training.path("step").asLong(-1);
    long total = training.path("total_steps").asLong(-1);
    if (step >= 0 && total > 0 && step < total) {
      return true;
    }
    if (Files.isRegularFile(runDir.resolve("train-report.json"))) {
      return false; // finished
    }
    Path aside =
        runDir.resolveSibling(runDir.getFileName() + ".incomplete-" + System.currentTimeMillis());
    Files.move(runDir, aside);
    out.println("   (its checkpoint has no report; kept as " + aside + ", training again)");
    return false;
  }

  private void printTable(List<JsonNode> reports) {
    out.println();
    out.printf(
        Locale.ROOT,
        "   %-6s %-8s %8s %10s %10s %10s %10s%n",
        "model",
        "objective",
        "steps",
        "tokens",
        "val nll",
        "val ppl",
        "tokens/s");
    for (JsonNode r : reports) {
      out.printf(
          Locale.ROOT,
          "   %-6s %-8s %8d %10d %10.4f %10.3f %10.0f%n",
          r.path("family").asText(),
          r.path("objective").asText(),
          r.path("steps").asLong(),
          r.path("tokens").asLong(),
          r.path("val_nll").asDouble(),
          r.path("val_ppl").asDouble(),
          r.path("tokens_per_second").asDouble());
    }
    out.println(
        "   (AR: exact NLL; MDLM, Duo, Eso-LM: NELBO upper bounds with ELBO weights, nats/token)");
  }

  private void printSamples(Path jsonl, JsonNode rep) throws IOException {
    out.printf(
        Locale.ROOT,
        "   %s: %.0f tokens/s, NFE mean %.1f, entropy %.3f nats%n",
        rep.path("family").asText(),
        rep.path("tokens_per_second").asDouble(),
        rep.path("nfe_mean").asDouble(),
        rep.path("entropy_mean").asDouble());
    List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
    for (int i = 0; i < Math.min(2, lines.size()); i++) {
      String text = JSON.readTree(lines.get(i)).path("text").asText();
      out.println("   --- sample " + i + " ---");
      out.println(DemoCommand.indent(text.length() > 400 ? text.substring(0, 400) + " ..." : text));
    }
  }

  /**
   * Runs another dllm command. {@code stream}: its output goes to the demo's output as it comes
   * (indented); otherwise it is kept and shown only if the stage fails.
   *
   * @throws InvalidInputException when the stage exits with code 2 (bad input)
   * @throws StageFailedException when it fails otherwise
   */
  void stage(boolean stream, String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of(args));
    if (verbose) {
      all.add("--verbose");
    }
    PrintStream stageOut =
        new PrintStream(stream ? new Indent(out) : buf, true, StandardCharsets.UTF_8);
    int rc =
        runner.run(
            all.toArray(String[]::new),
            stageOut,
            new PrintStream(errBuf, true, StandardCharsets.UTF_8));
    stageOut.flush();
    if (rc == 0) {
      return;
    }
    out.print(buf.toString(StandardCharsets.UTF_8));
    String reason = errBuf.toString(StandardCharsets.UTF_8).strip();
    if (verbose) {
      out.println(reason);
    }
    int nl = reason.indexOf('\n');
    String message =
        "stage 'dllm "
            + String.join(" ", args)
            + "' failed (exit "
            + rc
            + "): "
            + (nl < 0 ? reason : reason.substring(0, nl))
            + "; finished stages are kept: continue with dllm demo --resume "
            + dir;
    if (rc == Main.EXIT_BAD_INPUT) {
      throw new InvalidInputException(message);
    }
    throw new StageFailedException(message);
  }

  /** Indents every line (also those a progress bar redraws after '\r') by three spaces. */
  static final class Indent extends OutputStream {
    private final OutputStream out;
    private boolean lineStart = true;

    Indent(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      if (lineStart && b != '\n' && b != '\r') {
        out.write("   ".getBytes(StandardCharsets.US_ASCII));
      }
      out.write(b);
      lineStart = b == '\n' || b == '\r';
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
