package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.run.PromptEvalRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm prompt-eval}: conditional generation measured on held-out text (issue 16, "Measure
 * and report"). For every {@code --model}, N windows of the validation text, the first P tokens
 * given as a prompt, the next C generated at each {@code --steps} T; reports gen PPL given the
 * prompt under {@code --scorer} next to the true continuation and the family's unconditional
 * samples at the same T, entropy, tokens/s, and the model's conditional NELBO of the true
 * continuation ({@link PromptEvalRun}). Writes {@code prompt-eval.json} atomically and prints a
 * table; refused before any work (exit 2): an existing report without {@code --overwrite}, a model
 * listed twice or used as the scorer, P + C beyond a model's L, too few windows.
 */
public final class PromptEvalCommand implements Command {
  @Override
  public String name() {
    return "prompt-eval";
  }

  @Override
  public String summary() {
    return "continue held-out prompts: gen PPL given the prompt (--scorer) vs unconditional and"
        + " true continuations, entropy, tokens/s, conditional NELBO (writes prompt-eval.json)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("model")
            .hasArgs()
            .argName("DIR")
            .desc("export directory, repeatable (or DIR,DIR,...) (required)")
            .get());
    o.addOption(CliOptions.req("scorer", "DIR|default|train-default", ScorerArg.HELP));
    o.addOption(CliOptions.req("out", "DIR", "folder for prompt-eval.json"));
    o.addOption(
        CliOptions.opt(
            "data",
            "PATH",
            "corpus (its validation split is used) or a zero-shot file, as dllm eval; default:"
                + " bundled Tiny Shakespeare"));
    o.addOption(
        CliOptions.opt(
            "detokenizer", "NAME", "auto|none|wikitext|ptb (default auto: by file name)"));
    o.addOption(CliOptions.opt("windows", "N", "windows of the held-out text (default 64)"));
    o.addOption(CliOptions.opt("prompt-tokens", "P", "tokens given as the prompt (default 128)"));
    o.addOption(CliOptions.opt("new-tokens", "C", "tokens generated after it (default 128)"));
    o.addOption(
        CliOptions.opt(
            "steps", "T,T,...", "step counts of diffusion families (default 64; AR: C)"));
    o.addOption(CliOptions.opt("batch", "B", "rows per sampler call and forward (default 16)"));
    o.addOption(CliOptions.opt("seed", "S", "seed of samples and NELBO noise (default 0)"));
    o.addOption(EvalOptions.topPOption());
    EvalOptions.addRuntimeOptions(
        o,
        "replace a prompt-eval.json in --out",
        "sampler option of the diffusion families, repeatable (e.g."
            + " prompt_sigma=effective for Duo); AR exports ignore it");
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    String[] values = cmd.getOptionValues("model");
    if (values == null) {
      throw new InvalidInputException("missing required option --model");
    }
    List<Path> models = new ArrayList<>();
    for (String v : values) {
      for (String s : v.split(",")) {
        if (s.isBlank()) {
          continue;
        }
        Path p = Path.of(s.trim());
        if (!Files.isDirectory(p)) {
          throw new InvalidInputException("--model " + p + " is not a directory");
        }
        models.add(p);
      }
    }
    if (models.isEmpty()) {
      throw new InvalidInputException("--model names no directory");
    }
    String scorerArg = CliOptions.required(cmd, "scorer");
    ScorerArg.check(scorerArg);
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new InvalidInputException("--out " + outDir + " is not a directory");
    }
    CliOptions.checkParentDirs(outDir.resolve(PromptEvalRun.FILE), "out");
    CliOptions.refuseExisting(cmd, "out", outDir.resolve(PromptEvalRun.FILE));
    Path data = EvalOptions.data(cmd);
    double topP = EvalOptions.topP(cmd);
    // every option is parsed before the scorer is resolved: train-default trains one first
    PromptEvalRun.Options o =
        new PromptEvalRun.Options(
            models,
            data,
            cmd.getOptionValue("detokenizer", "auto"),
            null,
            CliOptions.intOpt(cmd, "windows", 64, 1),
            CliOptions.intOpt(cmd, "prompt-tokens", 128, 1),
            CliOptions.intOpt(cmd, "new-tokens", 128, 1),
            ParetoCommand.steps(cmd.getOptionValue("steps", "64")),
            CliOptions.intOpt(cmd, "batch", 16, 1),
            CliOptions.intOpt(cmd, "seed", 0, 0),
            topP,
            SampleOptions.ortConfig(cmd),
            SampleOptions.samplerOptions(cmd));
    PromptEvalRun.check(o); // before a scorer is trained or extracted
    PromptEvalRun.Report r;
    try (OutputLock lock = OutputLock.acquire(outDir, "out", "dllm prompt-eval")) {
      CliOptions.refuseExisting(cmd, "out", outDir.resolve(PromptEvalRun.FILE)); // under the lock
      r = PromptEvalRun.run(o.withScorer(ScorerArg.resolve(scorerArg, out)), outDir, out);
    }
    out.print(r.table());
    out.println("-> report " + outDir.resolve(PromptEvalRun.FILE));
    return 0;
  }
}
