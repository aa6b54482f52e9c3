package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.run.EvalRun;
import dev.dllm.eval.run.SampleChunks;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm eval}: likelihood of an export on a corpus (val NLL / NELBO; zero-shot on WikiText-2
 * or PTB with their detokenizers), and with {@code --num-samples} throughput, NFE, entropy and gen
 * PPL under {@code --scorer}. Writes {@code eval-report.json} ({@link EvalRun}, atomically) and
 * prints a table; an existing report is refused before any work unless {@code --overwrite}.
 */
public final class EvalCommand implements Command {
  @Override
  public String name() {
    return "eval";
  }

  @Override
  public String summary() {
    return "evaluate an export: val NLL/NELBO on a corpus, and with --num-samples gen PPL"
        + " (--scorer), entropy, tokens/s, NFE (writes eval-report.json)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("model", "DIR", "export directory written by dllm export"));
    o.addOption(
        CliOptions.opt(
            "data",
            "PATH",
            "corpus (its validation split is used) or a zero-shot file such as"
                + " wiki.test.tokens / ptb.test.txt (used whole); default: the corpus the model"
                + " was trained on when its export or run records it, else the bundled Tiny"
                + " Shakespeare (the console says which)"));
    o.addOption(
        CliOptions.opt(
            "scorer",
            "DIR|default|train-default",
            ScorerArg.HELP + " (default: none, so no gen PPL is computed; say --scorer default)"));
    o.addOption(
        CliOptions.opt(
            "num-samples",
            "N",
            "samples to draw for tokens/s, NFE and entropy, and gen PPL when --scorer is given"
                + " (default 0: likelihood only)"));
    o.addOption(CliOptions.opt("steps", "T", "sampling steps (default 64; AR takes L-1)"));
    o.addOption(CliOptions.opt("batch", "B", "rows per forward pass (default 16)"));
    o.addOption(CliOptions.opt("seed", "S", "seed of corruption draws and samples (default 0)"));
    o.addOption(CliOptions.opt("max-rows", "N", "at most N likelihood rows (default 0 = all)"));
    o.addOption(CliOptions.opt("mode", "pack|wrap", "block mode of the eval text (default pack)"));
    o.addOption(
        CliOptions.opt(
            "detokenizer", "NAME", "auto|none|wikitext|ptb (default auto: by file name)"));
    o.addOption(EvalOptions.topPOption());
    o.addOption(CliOptions.opt("out", "DIR", "folder for eval-report.json (default: the model's)"));
    EvalOptions.addRuntimeOptions(
        o,
        "replace an eval-report.json already in --out",
        "sampler option, repeatable (e.g. predictor=ancestral_cache)");
    o.addOption(
        DistributedRunner.sparkOption(
            "samples drawn and scored as one Spark task per batch, --threads cores each"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path model = Path.of(CliOptions.required(cmd, "model"));
    EvalOptions.checkModelDir(model);
    Path data = EvalOptions.data(cmd);
    String scorerArg = cmd.getOptionValue("scorer");
    if (scorerArg != null) {
      ScorerArg.check(scorerArg);
    }
    int n = CliOptions.intOpt(cmd, "num-samples", 0, 0);
    if (scorerArg != null && n == 0) {
      throw new InvalidInputException("--scorer needs --num-samples N (N >= 1) to score");
    }
    double topP = EvalOptions.topP(cmd);
    Path outDir = Path.of(cmd.getOptionValue("out", model.toString()));
    Path report = outDir.resolve("eval-report.json");
    if (!cmd.hasOption("out") && Files.isDirectory(outDir) && !Files.isWritable(outDir)) {
      throw new InvalidInputException(
          "--model "
              + model
              + ": cannot write its eval-report.json there (the default output, as --out was not"
              + " given: "
              + CliOptions.unwritable(outDir)
              + "); choose a folder with --out");
    }
    CliOptions.checkParentDirs(report, "out");
    CliOptions.refuseExisting(cmd, "out", report);
    // found before any work: without the module, --spark is refused at once
    DistributedRunner spark =
        cmd.hasOption(DistributedRunner.OPTION) ? DistributedRunner.find() : null;
    try (OutputLock lock = OutputLock.acquire(report, "out", "dllm eval")) {
      CliOptions.refuseExisting(cmd, "out", report); // again, under the lock
      return evaluate(cmd, out, model, data, scorerArg, n, topP, outDir, spark);
    }
  }

  private static int evaluate(
      CommandLine cmd,
      PrintStream out,
      Path model,
      Path data,
      String scorerArg,
      int n,
      double topP,
      Path outDir,
      DistributedRunner spark)
      throws Exception {
    // every option is parsed before the scorer is resolved: train-default trains one first
    EvalRun.Options o =
        new EvalRun.Options(
            model,
            data,
            null,
            n,
            CliOptions.intOpt(cmd, "steps", 64, 1),
            CliOptions.intOpt(cmd, "batch", 16, 1),
            CliOptions.intOpt(cmd, "seed", 0, 0),
            CliOptions.intOpt(cmd, "max-rows", 0, 0),
            BlockMode.parse(cmd.getOptionValue("mode", "pack")),
            cmd.getOptionValue("detokenizer", "auto"),
            SampleOptions.samplerOptions(cmd),
            topP,
            SampleOptions.ortConfig(cmd));
    if (ScorerArg.TRAIN_DEFAULT.equals(scorerArg)) {
      EvalRun.checkSampleBudget(o); // hours of scorer training must not end in a refusal
    }
    if (scorerArg != null) {
      o = o.withScorer(ScorerArg.resolve(scorerArg, out));
    }
    SampleChunks.Runner runner =
        spark == null ? null : spark.sampler(DistributedRunner.master(cmd), o.ort().threads());
    EvalRun.Report r = EvalRun.run(o, outDir, out, ConsoleProgress.of(out), runner);
    out.print(r.table());
    out.println("-> report " + outDir.resolve("eval-report.json"));
    return 0;
  }
}
