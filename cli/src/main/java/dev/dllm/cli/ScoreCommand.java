package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.run.ScoreRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm score}: gen PPL, entropy and counts of samples from any source (JSONL: text or ids
 * per line) under an AR scorer, in {@code dllm eval}'s report format ({@link ScoreRun}).
 */
public final class ScoreCommand implements Command {
  @Override
  public String name() {
    return "score";
  }

  @Override
  public String summary() {
    return "gen PPL and entropy of samples in a JSONL file (text or ids per line) under an AR"
        + " scorer (writes <stem>.score-report.json)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("samples", "FILE", "JSONL: {\"text\": ...} or {\"ids\": [...]}"));
    o.addOption(
        CliOptions.opt("scorer", "DIR|default|train-default", ScorerArg.HELP + " (required)"));
    o.addOption(
        CliOptions.opt("field", "auto|text|ids", "which part of a line (default auto: text)"));
    o.addOption(
        CliOptions.opt(
            "ids-model", "DIR", "export whose tokenizer the ids are in (default: the scorer's)"));
    o.addOption(
        CliOptions.opt(
            "bos",
            "prepend|none",
            "prepend the scorer's BOS (default: dllm eval's), or none (the reference code's:"
                + " each sample's first token is context only)"));
    o.addOption(CliOptions.opt("batch", "B", "chunks per forward pass (default 16)"));
    o.addOption(
        CliOptions.opt("out", "FILE", "report file (default <stem>.score-report.json next to it)"));
    o.addOption(Option.builder().longOpt("overwrite").desc("replace an existing report").get());
    o.addOption(CliOptions.opt("provider", "cpu|cuda", "ONNX Runtime provider (default cpu)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(CliOptions.opt("opt-level", "LEVEL", "none|basic|extended|all (default basic)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path samples = Path.of(CliOptions.required(cmd, "samples"));
    String scorerArg = CliOptions.required(cmd, "scorer");
    ScorerArg.check(scorerArg);
    if (!Files.isRegularFile(samples)) {
      throw new InvalidInputException("--samples " + samples + " does not exist");
    }
    String bos = cmd.getOptionValue("bos", "prepend");
    if (!bos.equals("prepend") && !bos.equals("none")) {
      throw new InvalidInputException("--bos must be prepend|none, got " + bos);
    }
    ScoreRun.Field field = ScoreRun.Field.parse(cmd.getOptionValue("field", "auto"));
    Path idsModel = cmd.hasOption("ids-model") ? Path.of(cmd.getOptionValue("ids-model")) : null;
    String name = samples.getFileName().toString();
    int dot = name.lastIndexOf('.');
    Path report =
        cmd.hasOption("out")
            ? Path.of(cmd.getOptionValue("out"))
            : samples.resolveSibling(
                (dot > 0 ? name.substring(0, dot) : name) + ".score-report.json");
    CliOptions.checkOutFile(report, "out");
    CliOptions.refuseExisting(cmd, "out", report);
    try (OutputLock lock = OutputLock.acquire(report, "out", "dllm score")) {
      CliOptions.refuseExisting(cmd, "out", report); // again, under the lock
      return score(cmd, out, samples, scorerArg, idsModel, field, bos, report);
    }
  }

  private static int score(
      CommandLine cmd,
      PrintStream out,
      Path samples,
      String scorerArg,
      Path idsModel,
      ScoreRun.Field field,
      String bos,
      Path report)
      throws Exception {
    ScoreRun.Options o =
        new ScoreRun.Options(
            samples,
            ScorerArg.resolve(scorerArg, out),
            idsModel,
            field,
            bos.equals("prepend"),
            CliOptions.intOpt(cmd, "batch", 16, 1),
            SampleOptions.ortConfig(cmd));
    ScoreRun.Report r = ScoreRun.run(o, report);
    out.print(r.table());
    out.println("-> report " + report);
    return 0;
  }
}
