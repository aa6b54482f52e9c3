package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.run.ParetoRun;
import dev.dllm.eval.run.SampleChunks;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm pareto}: samples every model at every step count (and sampler variant), measures
 * tokens/s, gen PPL under the scorer and entropy, and writes {@code pareto.json}, {@code
 * pareto.csv} and {@code pareto.png} ({@link ParetoRun}), each atomically. Refused before any
 * sampling (exit 2): pareto files already in {@code --out} without {@code --overwrite}, a model
 * listed twice, a variant for a family none of the models has ({@link ParetoRun#check}).
 */
public final class ParetoCommand implements Command {
  @Override
  public String name() {
    return "pareto";
  }

  @Override
  public String summary() {
    return "speed-quality Pareto frontier of exports: tokens/s vs gen PPL (pareto.json, .csv,"
        + " .png)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("models", "DIR,DIR,...", "export directories to compare"));
    o.addOption(
        CliOptions.opt("steps", "T,T,...", "step counts (default 8,16,32,64,128,256; AR: L-1)"));
    o.addOption(CliOptions.req("scorer", "DIR|default|train-default", ScorerArg.HELP));
    o.addOption(CliOptions.req("out", "DIR", "output folder"));
    o.addOption(CliOptions.opt("num-samples", "N", "samples per point (default 16)"));
    o.addOption(
        CliOptions.opt(
            "batch",
            "B|max",
            "rows per sampler call (default 16); max = per model the largest power of two <="
                + " --num-samples whose sampler buffers fit the memory bound, as the paper measures"
                + " throughput (the batch column says which)"));
    o.addOption(CliOptions.opt("seed", "S", "sampling seed (default 0)"));
    o.addOption(EvalOptions.topPOption());
    o.addOption(
        CliOptions.opt(
            "reference",
            "PATH",
            "text whose entropy flags collapse (default: bundled Tiny Shakespeare validation)"));
    o.addOption(CliOptions.opt("provider", "cpu|cuda", "ONNX Runtime provider (default cpu)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(CliOptions.opt("opt-level", "LEVEL", "none|basic|extended|all (default basic)"));
    o.addOption(
        Option.builder()
            .longOpt("overwrite")
            .desc("replace pareto.json, .csv and .png already in --out")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("variant")
            .hasArgs()
            .argName("FAMILY:LABEL[:K=V,K=V]")
            .desc(
                "sampler setting, repeatable, e.g. duo:greedy_tail:greedy_tail=true (FAMILY *"
                    + " = every non-AR family); default: one default setting")
            .get());
    o.addOption(
        DistributedRunner.sparkOption(
            "one Spark task per (model, steps, batch of samples), --threads cores each"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    List<Path> models = new ArrayList<>();
    for (String s : CliOptions.required(cmd, "models").split(",")) {
      if (s.isBlank()) {
        continue;
      }
      Path p = Path.of(s.trim());
      if (!Files.isDirectory(p)) {
        throw new InvalidInputException("--models: " + p + " is not a directory");
      }
      models.add(p);
    }
    if (models.isEmpty()) {
      throw new InvalidInputException("--models lists no directory");
    }
    String scorerArg = CliOptions.required(cmd, "scorer");
    ScorerArg.check(scorerArg);
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new InvalidInputException("--out " + outDir + " is not a directory");
    }
    CliOptions.checkParentDirs(outDir.resolve("pareto.json"), "out");
    Path[] outputs = {
      outDir.resolve("pareto.json"), outDir.resolve("pareto.csv"), outDir.resolve("pareto.png")
    };
    CliOptions.refuseExisting(cmd, "out", outputs);
    Path reference = cmd.hasOption("reference") ? Path.of(cmd.getOptionValue("reference")) : null;
    if (reference != null && !Files.exists(reference)) {
      throw new InvalidInputException("--reference " + reference + " does not exist");
    }
    double topP = EvalOptions.topP(cmd);
    List<Integer> steps = steps(cmd.getOptionValue("steps", "8,16,32,64,128,256"));
    List<ParetoRun.Variant> variants = variants(cmd.getOptionValues("variant"));
    // every option is parsed before the scorer is resolved: train-default trains one first
    ParetoRun.Options o =
        new ParetoRun.Options(
            models,
            steps,
            variants,
            null,
            CliOptions.intOpt(cmd, "num-samples", 16, 1),
            batch(cmd),
            CliOptions.intOpt(cmd, "seed", 0, 0),
            topP,
            reference,
            SampleOptions.ortConfig(cmd));
    if (ScorerArg.TRAIN_DEFAULT.equals(scorerArg)) {
      ParetoRun.check(o); // hours of scorer training must not end in a refusal
    }
    // found before any work: without the module, --spark is refused at once
    SampleChunks.Runner runner =
        cmd.hasOption(DistributedRunner.OPTION)
            ? DistributedRunner.find().sampler(DistributedRunner.master(cmd), o.ort().threads())
            : null;
    ParetoRun.Result r;
    try (OutputLock lock = OutputLock.acquire(outDir, "out", "dllm pareto")) {
      CliOptions.refuseExisting(cmd, "out", outputs); // again, under the lock
      r =
          ParetoRun.run(
              o.withScorer(ScorerArg.resolve(scorerArg, out)),
              outDir,
              out,
              ConsoleProgress.of(out),
              runner);
    }
    long front = r.points().stream().filter(p -> p.frontier()).count();
    out.printf("%d points, %d on the frontier%n-> %s%n", r.points().size(), front, r.png());
    return 0;
  }

  /**
   * {@code --batch}: an integer >= 1 or {@code max} ({@link ParetoRun#BATCH_MAX}).
   *
   * @throws InvalidInputException for anything else
   */
  static int batch(CommandLine cmd) {
    String v = cmd.getOptionValue("batch", "16").trim();
    if (v.equalsIgnoreCase("max")) {
      return ParetoRun.BATCH_MAX;
    }
    try {
      int b = Integer.parseInt(v);
      if (b >= 1) {
        return b;
      }
    } catch (NumberFormatException e) {
      // the message below
    }
    throw new InvalidInputException("--batch must be an integer >= 1 or max, got '" + v + "'");
  }

  /** Parses {@code 8,16,32}. */
  static List<Integer> steps(String s) {
    return steps("steps", s);
  }

  /**
   * Parses the {@code 8,16,32} value of option {@code name}.
   *
   * @throws InvalidInputException for a part that is not an integer >= 1, or one listed twice (the
   *     same point would be sampled and plotted twice)
   */
  static List<Integer> steps(String name, String s) {
    List<Integer> out = new ArrayList<>();
    for (String part : s.split(",")) {
      try {
        int t = Integer.parseInt(part.trim());
        if (t < 1) {
          throw new NumberFormatException();
        }
        if (out.contains(t)) {
          throw new InvalidInputException(
              "--" + name + " lists " + t + " twice, got '" + s + "'; list each step count once");
        }
        out.add(t);
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            "--" + name + " must be a comma-separated list of integers >= 1, got '" + s + "'");
      }
    }
    return out;
  }

  /** Parses {@code FAMILY:LABEL[:K=V,K=V]} values. */
  static List<ParetoRun.Variant> variants(String[] values) {
    List<ParetoRun.Variant> out = new ArrayList<>();
    if (values == null) {
      return out;
    }
    for (String v : values) {
      String[] parts = v.split(":", 3);
      if (parts.length < 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new InvalidInputException(
            "--variant must be FAMILY:LABEL[:KEY=VALUE,...], got '" + v + "'");
      }
      Map<String, String> opts = new LinkedHashMap<>();
      if (parts.length == 3 && !parts[2].isBlank()) {
        for (String kv : parts[2].split(",")) {
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new InvalidInputException(
                "--variant option must be KEY=VALUE, got '" + kv + "' in '" + v + "'");
          }
          opts.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
      }
      String fam = parts[0].trim().equals("*") ? null : parts[0].trim();
      out.add(new ParetoRun.Variant(fam, parts[1].trim(), opts));
    }
    return out;
  }
}
