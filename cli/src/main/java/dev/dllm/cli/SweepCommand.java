package dev.dllm.cli;

import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.api.model.DitPresets;
import dev.dllm.trainer.TrainConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm sweep}: the IsoFLOP grid families × objectives × presets × budgets, trained one after
 * the other and resumable ({@link Sweep}); {@code runs.csv} lists every run. Fit it with {@code
 * dllm fit --runs OUT}.
 */
public final class SweepCommand implements Command {
  @Override
  public String name() {
    return "sweep";
  }

  @Override
  public String summary() {
    return "IsoFLOP sweep: train every family x preset x budget (resumable; runs.csv), then dllm"
        + " fit";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("families", "F,F,...", "families, e.g. ar,mdlm"));
    o.addOption(CliOptions.req("presets", "P,P,...", "model presets, e.g. xxs,xs,s,m"));
    o.addOption(CliOptions.req("flops", "C,C,...", "budgets in FLOPs, e.g. 1e12,3e12,1e13"));
    o.addOption(CliOptions.req("out", "DIR", "sweep folder (runs.csv and one folder per run)"));
    o.addOption(
        CliOptions.opt(
            "objectives",
            "F:O,...",
            "objectives per family, e.g. mdlm:low_var,mdlm:elbo (default: each family's own)"));
    o.addOption(CliOptions.opt("data", "PATH", "corpus (default: bundled Tiny Shakespeare)"));
    o.addOption(
        CliOptions.opt(
            "tokenizer", "SPEC", dev.dllm.api.tokenize.Tokenizers.specForms() + " (default char)"));
    o.addOption(CorpusOptions.newlinesOption());
    o.addOption(
        CliOptions.opt(
            "mode",
            dev.dllm.data.corpus.BlockMode.choices(),
            "block mode (default pack): " + dev.dllm.data.corpus.BlockMode.described()));
    o.addOption(CliOptions.opt("seq-len", "L", "tokens per sequence (default 256)"));
    o.addOption(CliOptions.opt("batch", "B", "sequences per step (default 32)"));
    o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 1e-3)"));
    o.addOption(CliOptions.opt("seed", "S", "seed (default 1)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.PYTORCH, "1"));
    o.addOption(CliOptions.opt("val-batches", "N", "cap on validation batches (default all)"));
    o.addOption(
        CliOptions.opt("checkpoint-every", "N", "checkpoint every N steps (default: at the end)"));
    o.addOption(DistributedRunner.sparkOption("one Spark task per run, --threads cores each"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Sweep.Plan plan = plan(cmd);
    Sweep.RunExecutor executor = null;
    if (cmd.hasOption(DistributedRunner.OPTION)) {
      executor =
          DistributedRunner.find()
              .sweep(
                  DistributedRunner.master(cmd),
                  DistributedRunner.argsWithout(cmd, DistributedRunner.OPTION),
                  plan.base().build().threads());
    }
    int done;
    try (OutputLock lock = OutputLock.acquire(plan.out(), "out", "dllm sweep")) {
      done = Sweep.run(plan, out, executor);
    }
    out.printf(
        "%d of %d runs finished -> %s%nfit them: dllm fit --runs %s%n",
        done, plan.runs().size(), plan.out().resolve("runs.csv"), plan.out());
    return 0;
  }

  /**
   * The sweep's plan from its parsed options (the Spark runner rebuilds it from the same arguments
   * in every executor).
   *
   * @throws InvalidInputException naming the option that is wrong
   */
  public static Sweep.Plan plan(CommandLine cmd) {
    FamilyRegistry reg = FamilyRegistry.load();
    List<String> families = list(CliOptions.required(cmd, "families"), "families");
    for (String f : families) {
      reg.get(f);
    }
    List<String> presets = list(CliOptions.required(cmd, "presets"), "presets");
    for (String p : presets) {
      if (!DitPresets.exists(p)) {
        throw new InvalidInputException(
            "--presets: unknown preset '" + p + "'; expected some of " + DitPresets.names());
      }
    }
    List<Double> budgets = new ArrayList<>();
    for (String c : list(CliOptions.required(cmd, "flops"), "flops")) {
      double v;
      try {
        v = CliOptions.parseNumber("flops", c); // as --flops of train: no hex, no 1d suffix
      } catch (InvalidInputException e) {
        v = Double.NaN;
      }
      if (!(v > 0)) {
        throw new InvalidInputException("--flops: '" + c + "' is not a finite number > 0");
      }
      if (budgets.contains(v)) {
        throw new InvalidInputException("--flops lists " + c + " twice; list each budget once");
      }
      budgets.add(v);
    }
    Map<String, List<String>> objectives = new LinkedHashMap<>();
    if (cmd.hasOption("objectives")) {
      for (String fo : list(cmd.getOptionValue("objectives"), "objectives")) {
        int colon = fo.indexOf(':');
        if (colon <= 0 || colon == fo.length() - 1 || !families.contains(fo.substring(0, colon))) {
          throw new InvalidInputException(
              "--objectives must be FAMILY:OBJECTIVE with a family of --families, got '"
                  + fo
                  + "'");
        }
        objectives
            .computeIfAbsent(fo.substring(0, colon), k -> new ArrayList<>())
            .add(fo.substring(colon + 1));
      }
    }
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new InvalidInputException("--out " + outDir + " is not a directory");
    }
    if (Files.isDirectory(outDir.resolve("checkpoint"))
        || Files.isRegularFile(outDir.resolve("train-report.json"))) {
      throw new InvalidInputException(
          "--out " + outDir + " holds a training run; choose a new or earlier sweep folder");
    }
    CliOptions.checkParentDirs(outDir.resolve("runs.csv"), "out");
    Path data = cmd.hasOption("data") ? Path.of(cmd.getOptionValue("data")) : null;
    if (data != null && !Files.exists(data)) {
      throw new InvalidInputException("--data " + data + " does not exist");
    }
    TrainConfig.Builder base =
        TrainConfig.builder()
            .data(data)
            .tokenizer(cmd.getOptionValue("tokenizer", "char"))
            .mode(cmd.getOptionValue("mode", "pack"))
            .newlines(CorpusOptions.newlines(cmd, dev.dllm.data.corpus.Newlines.DEFAULT).id())
            .seqLen(CliOptions.intOpt(cmd, "seq-len", 256, 2))
            .batch(CliOptions.intOpt(cmd, "batch", 32, 1))
            .seed(CliOptions.intOpt(cmd, "seed", 1, 0))
            .threads(ThreadsOption.parse(cmd, 1, 0))
            .valBatches(CliOptions.intOpt(cmd, "val-batches", 0, 0))
            .checkpointEvery(CliOptions.intOpt(cmd, "checkpoint-every", 0, 0));
    double lr = CliOptions.doubleOpt(cmd, "lr", 1e-3);
    base.lr(lr).minLr(lr / 10);
    List<Sweep.Run> runs = new ArrayList<>();
    for (String f : families) {
      List<String> objs = objectives.getOrDefault(f, java.util.Collections.singletonList(null));
      for (String obj : objs) {
        // options shared by every run are bad input for the whole sweep: refuse them (exit 2)
        // before any folder is made, rather than recording every run as refused and exiting 0
        dev.dllm.trainer.Objectives.resolve(dev.dllm.trainer.Objectives.forFamily(f), obj);
        base.family(f).objective(obj).preset(presets.get(0)).flops(budgets.get(0)).steps(0);
        base.out(outDir).build().validate();
        for (String p : presets) {
          for (double c : budgets) {
            runs.add(new Sweep.Run(f, obj, p, c));
          }
        }
      }
    }
    return new Sweep.Plan(runs, base, outDir);
  }

  private static List<String> list(String s, String option) {
    List<String> out = new ArrayList<>();
    for (String p : s.split(",")) {
      if (!p.isBlank()) {
        out.add(p.trim());
      }
    }
    if (out.isEmpty()) {
      throw new InvalidInputException("--" + option + " lists nothing");
    }
    return out;
  }
}
