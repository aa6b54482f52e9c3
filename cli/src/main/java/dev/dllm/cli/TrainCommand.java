package dev.dllm.cli;

import static dev.dllm.cli.CliOptions.opt;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.data.corpus.Newlines;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.optim.AdamWConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm train}: trains a family's DiT with DJL ({@link Trainer}) and writes {@code
 * OUT/checkpoint/} (model.safetensors, optimizer.safetensors, config.json, tokenizer/) and {@code
 * OUT/train-report.json}. {@code --resume OUT} (or {@code OUT/checkpoint}) continues an interrupted
 * run with the options stored in its checkpoint (none need repeating; a changed one is refused,
 * except {@link ResumeOptions#CHANGEABLE}) and reproduces the uninterrupted loss trace; the report
 * then covers the whole run. An {@code --out} that already holds a run is refused unless that run
 * is the one resumed.
 */
public final class TrainCommand implements Command {
  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "train a model (DJL): FLOPs budget or steps, AdamW, validation, checkpoints, resume";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        opt(
            "family",
            "NAME",
            "family to train: "
                + String.join(", ", dev.dllm.api.FamilyRegistry.load().names())
                + " (required, except with --resume of a run that stored its options)"));
    o.addOption(
        opt(
            "preset",
            "NAME",
            "model preset: CPU ladder d8, d12, d16, d24, d32, d48, xxs, d96, xs, d192, s, d320, m, or a paper size (default xs)"));
    o.addOption(
        opt("model-config", "FILE", "YAML/JSON file with the DiT shape (instead of a preset)"));
    o.addOption(
        opt("data", "PATH", "corpus file or folder of .txt (default: bundled Tiny Shakespeare)"));
    o.addOption(
        opt("tokenizer", "SPEC", dev.dllm.api.tokenize.Tokenizers.specForms() + " (default char)"));
    o.addOption(
        opt(
            "mode",
            dev.dllm.data.corpus.BlockMode.choices(),
            "training rows: " + dev.dllm.data.corpus.BlockMode.described() + " (default pack)"));
    o.addOption(CorpusOptions.newlinesOption());
    o.addOption(opt("seq-len", "L", "tokens per sequence (default 256)"));
    o.addOption(opt("batch", "B", "sequences per optimizer step (default 32)"));
    o.addOption(opt("accum", "K", "gradient-accumulation micro-steps, B/K rows each (default 1)"));
    o.addOption(
        opt(
            "flops",
            "C",
            "compute budget; steps = floor(C / (6 N_eff B L)) (required: exactly one of --flops"
                + " and --steps, except with --resume)"));
    o.addOption(
        opt("steps", "N", "optimizer steps, instead of --flops (one of the two is required)"));
    o.addOption(
        opt("objective", "NAME", "training objective, e.g. ce, elbo, low_var (family default)"));
    o.addOption(opt("lr", "X", "peak learning rate (default 1e-3)"));
    o.addOption(opt("min-lr", "X", "end of the cosine decay (default lr/10)"));
    o.addOption(
        opt("warmup", "N", "linear warmup steps (default min(max(1% steps, 100), steps/10))"));
    o.addOption(opt("weight-decay", "X", "AdamW decoupled weight decay (default 0.1)"));
    o.addOption(opt("beta2", "X", "AdamW beta2 (default 0.95)"));
    o.addOption(opt("clip", "X", "global gradient-norm bound, 0 = off (default 1.0)"));
    o.addOption(opt("ema", "D", "EMA decay in (0, 1); validation then uses the EMA weights"));
    o.addOption(opt("dropout", "P", "residual dropout while training (default 0)"));
    o.addOption(
        org.apache.commons.cli.Option.builder()
            .longOpt("option")
            .hasArgs()
            .argName("KEY=VALUE")
            .desc(
                "family training option, repeatable (e.g. Eso-LM alpha_0=0.5, Duo"
                    + " curriculum options); unknown keys are refused")
            .get());
    o.addOption(
        opt(
            "alpha0",
            "A",
            "Eso-LM: alpha_0 in [0, 1] (1 = MDLM-like, 0 = AR); = --option" + " alpha_0=A"));
    o.addOption(
        opt(
            "batch-split",
            "F",
            "Eso-LM: share of the batch on the diffusion branch; =" + " --option batch_split=F"));
    o.addOption(
        opt(
            "init-from",
            "DIR",
            "start from this checkpoint's weights and tokenizer (fresh optimizer)"));
    o.addOption(
        opt(
            "steps-per-round",
            "K",
            "keep a frozen teacher refreshed from the model every K steps"));
    RunOptions.add(o);
    o.addOption(opt("val-every", "N", "validate every N steps (default: only at the end)"));
    o.addOption(
        opt("checkpoint-every", "N", "checkpoint every N steps (default: only at the end)"));
    o.addOption(
        opt(
            "resume",
            "DIR",
            "continue the run in DIR (its OUT or OUT/checkpoint) with its stored options; only"
                + " --threads, --checkpoint-every, --val-every, --log-every, --stop-after may"
                + " change"));
    o.addOption(
        opt(
            "out",
            "DIR",
            "output folder: DIR/checkpoint/ and DIR/train-report.json (required, except with"
                + " --resume, whose run folder it defaults to)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    // the lock on a resumed run is taken before its checkpoint is read
    try (OutputLock lock = ResumeOptions.lockResumed(cmd, "dllm train")) {
      return train(cmd, out);
    }
  }

  private int train(CommandLine cmd, PrintStream out) {
    TrainConfig config = parse(cmd);
    TrainReport r;
    // stopped by a signal mid-run: one line with the last checkpoint's step and the resume command
    try (TrainStopNotice notice = TrainStopNotice.install(config.out(), out)) {
      r = new Trainer(config, out).progress(ConsoleProgress.of(out)).command("dllm train").run();
    }
    out.printf(
        "trained %s (%s, objective %s): %d steps, %d tokens, %.3g FLOPs%n",
        r.family(), r.preset(), r.objective(), r.steps(), r.tokens(), r.flops());
    out.printf(
        "this run: steps %d..%d (%d) in %.1f s (%s tok/s) + %.1f s of validation%s%n",
        r.startStep(),
        r.endStep(),
        r.segmentSteps(),
        r.segmentSeconds(),
        r.tokensPerSecond() == null ? "-" : String.format("%.0f", r.tokensPerSecond()),
        r.validationSeconds(),
        r.startStep() > 0 ? String.format("; %.1f s over the whole run", r.seconds()) : "");
    out.printf(
        "final train loss %.4f; validation %.4f nats/token (%.4f bits, ppl %.3f) over %d tokens%n",
        r.finalTrainLoss() == null ? Double.NaN : r.finalTrainLoss(),
        r.valNll(),
        r.valBitsPerToken(),
        r.valPpl(),
        r.valTokens());
    out.println("checkpoint: " + r.checkpoint());
    out.println("report: " + config.reportFile());
    return 0;
  }

  /**
   * Options to a validated {@link TrainConfig}. Resuming a run that stored its options ({@link
   * ResumeOptions}), the stored values are the defaults and a given option must equal its stored
   * value, except {@link ResumeOptions#CHANGEABLE}.
   */
  static TrainConfig parse(CommandLine cmd) {
    TrainConfig stored = ResumeOptions.stored(cmd);
    TrainConfig d = stored != null ? stored : TrainConfig.builder().build(); // the defaults
    if (stored == null && cmd.hasOption("resume") && !cmd.hasOption("family")) {
      throw new InvalidInputException(
          "--family is required: --resume "
              + cmd.getOptionValue("resume")
              + " holds no stored options (no checkpoint there, or one written before options"
              + " were stored: repeat the run's options)");
    }
    TrainConfig.Builder b = TrainConfig.builder();
    b.family(stored != null && !cmd.hasOption("family") ? d.family() : required(cmd, "family"));
    b.out(ResumeOptions.out(cmd, stored));
    b.preset(cmd.getOptionValue("preset", d.preset()));
    b.modelConfig(path(cmd, "model-config", d.modelConfig()));
    b.data(path(cmd, "data", d.data()));
    b.tokenizer(cmd.getOptionValue("tokenizer", d.tokenizer()));
    b.mode(cmd.getOptionValue("mode", d.mode()));
    b.newlines(CorpusOptions.newlines(cmd, Newlines.parse(d.newlines())).id());
    b.objective(cmd.getOptionValue("objective", d.objective()));
    b.resume(path(cmd, "resume", null));
    b.seqLen(CliOptions.intOpt(cmd, "seq-len", d.seqLen(), 2));
    b.batch(CliOptions.intOpt(cmd, "batch", d.batch(), 1));
    b.accumulation(CliOptions.intOpt(cmd, "accum", d.accumulation(), 1));
    if (stored != null && !cmd.hasOption("flops") && !cmd.hasOption("steps")) {
      b.flops(d.flops()).steps(d.steps());
    }
    if (cmd.hasOption("flops")) {
      double flops = doubleOpt(cmd, "flops", 0);
      if (!(flops > 0)) {
        throw new InvalidInputException(
            "--flops must be a finite number > 0, got " + cmd.getOptionValue("flops"));
      }
      b.flops(flops);
    }
    if (cmd.hasOption("steps")) {
      b.steps(CliOptions.longOpt(cmd, "steps", 0, 1));
    }
    double lr = doubleOpt(cmd, "lr", d.lr());
    b.lr(lr);
    b.minLr(doubleOpt(cmd, "min-lr", stored != null ? d.minLr() : lr / 10));
    b.warmup(CliOptions.longOpt(cmd, "warmup", d.warmup(), 0));
    AdamWConfig adam = d.adamW();
    double beta2 = doubleOpt(cmd, "beta2", adam.beta2());
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new InvalidInputException("--beta2 must be in [0, 1), got " + beta2);
    }
    double weightDecay = doubleOpt(cmd, "weight-decay", adam.weightDecay());
    if (!(weightDecay >= 0)) {
      throw new InvalidInputException("--weight-decay must be >= 0, got " + weightDecay);
    }
    b.adamW(new AdamWConfig(adam.beta1(), beta2, adam.eps(), weightDecay));
    b.clipNorm(doubleOpt(cmd, "clip", d.clipNorm()));
    b.ema(doubleOpt(cmd, "ema", d.ema()));
    b.dropout(doubleOpt(cmd, "dropout", d.dropout()));
    RunOptions.apply(cmd, b, 1, stored);
    b.valEvery(CliOptions.longOpt(cmd, "val-every", d.valEvery(), 0));
    b.checkpointEvery(CliOptions.longOpt(cmd, "checkpoint-every", d.checkpointEvery(), 0));
    // resumed: the stored family options, with the given ones over them (a changed one is refused)
    java.util.Map<String, String> options = new java.util.TreeMap<>(d.familyTraining().options());
    options.putAll(CliOptions.keyValues(cmd, "option"));
    if (cmd.hasOption("alpha0")) {
      options.put("alpha_0", cmd.getOptionValue("alpha0").trim());
    }
    if (cmd.hasOption("batch-split")) {
      options.put("batch_split", cmd.getOptionValue("batch-split").trim());
    }
    b.familyTraining(
        new dev.dllm.trainer.FamilyTraining(
            options,
            path(cmd, "init-from", d.familyTraining().initFrom()),
            CliOptions.longOpt(cmd, "steps-per-round", d.familyTraining().teacherRefresh(), 1)));
    TrainConfig config = b.build();
    if (stored != null) {
      ResumeOptions.requireSame(cmd, stored, config, ResumeOptions.TRAIN);
    }
    return config.validate();
  }

  private static Path path(CommandLine cmd, String name, Path fallback) {
    return cmd.hasOption(name) ? Path.of(cmd.getOptionValue(name)) : fallback;
  }

  static String required(CommandLine cmd, String name) {
    String v = cmd.getOptionValue(name);
    if (v == null || v.isBlank()) {
      throw new InvalidInputException("--" + name + " is required");
    }
    return v;
  }

  static double doubleOpt(CommandLine cmd, String name, double fallback) {
    return CliOptions.doubleOpt(cmd, name, fallback);
  }
}
