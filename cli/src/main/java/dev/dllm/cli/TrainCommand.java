package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.optim.AdamWConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm train}: trains a family's DiT with DJL ({@link Trainer}) and writes {@code
 * OUT/checkpoint/} (model.safetensors, optimizer.safetensors, config.json, tokenizer/) and {@code
 * OUT/train-report.json}. {@code --resume OUT} (or {@code OUT/checkpoint}) continues an interrupted
 * run with the same options (a changed option is refused) and reproduces the uninterrupted loss
 * trace; the report then covers the whole run. An {@code --out} that already holds a run is refused
 * unless that run is the one resumed.
 */
public final class TrainCommand implements Command {
  /** Upper bound of {@code --threads} (PyTorch intra-op threads). */
  static final int MAX_THREADS = 1024;

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
    o.addOption(arg("family", "NAME", "family to train (dllm families lists them)"));
    o.addOption(
        arg(
            "preset",
            "NAME",
            "model preset: CPU ladder d32, d48, xxs, d96, xs, d192, s, d320, m, or a paper size (default xs)"));
    o.addOption(
        arg("model-config", "FILE", "YAML/JSON file with the DiT shape (instead of a preset)"));
    o.addOption(
        arg("data", "PATH", "corpus file or folder of .txt (default: bundled Tiny Shakespeare)"));
    o.addOption(arg("tokenizer", "SPEC", "char, byte, gpt2, hf:PATH, spm:PATH (default char)"));
    o.addOption(
        arg(
            "mode",
            "MODE",
            "training rows: window (L tokens at random offsets), pack (consecutive blocks of L) or"
                + " wrap (BOS..EOS); default pack"));
    o.addOption(arg("seq-len", "L", "tokens per sequence (default 256)"));
    o.addOption(arg("batch", "B", "sequences per optimizer step (default 32)"));
    o.addOption(arg("accum", "K", "gradient-accumulation micro-steps, B/K rows each (default 1)"));
    o.addOption(arg("flops", "C", "compute budget; steps = floor(C / (6 N_eff B L))"));
    o.addOption(arg("steps", "N", "optimizer steps (instead of --flops)"));
    o.addOption(
        arg("objective", "NAME", "training objective, e.g. ce, elbo, low_var (family default)"));
    o.addOption(arg("lr", "X", "peak learning rate (default 1e-3)"));
    o.addOption(arg("min-lr", "X", "end of the cosine decay (default lr/10)"));
    o.addOption(
        arg("warmup", "N", "linear warmup steps (default min(max(1% steps, 100), steps/10))"));
    o.addOption(arg("weight-decay", "X", "AdamW decoupled weight decay (default 0.1)"));
    o.addOption(arg("beta2", "X", "AdamW beta2 (default 0.95)"));
    o.addOption(arg("clip", "X", "global gradient-norm bound, 0 = off (default 1.0)"));
    o.addOption(arg("ema", "D", "EMA decay in (0, 1); validation then uses the EMA weights"));
    o.addOption(arg("dropout", "P", "residual dropout while training (default 0)"));
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
        arg(
            "alpha0",
            "A",
            "Eso-LM: alpha_0 in [0, 1] (1 = MDLM-like, 0 = AR); = --option" + " alpha_0=A"));
    o.addOption(
        arg(
            "batch-split",
            "F",
            "Eso-LM: share of the batch on the diffusion branch; =" + " --option batch_split=F"));
    o.addOption(
        arg(
            "init-from",
            "DIR",
            "start from this checkpoint's weights and tokenizer (fresh optimizer)"));
    o.addOption(
        arg(
            "steps-per-round",
            "K",
            "keep a frozen teacher refreshed from the model every K steps"));
    o.addOption(arg("seed", "S", "seed; every draw of step s derives from (seed, s) (default 1)"));
    o.addOption(
        arg(
            "threads",
            "N",
            "PyTorch intra-op threads (default: all "
                + Runtime.getRuntime().availableProcessors()
                + " cores, the fastest; same seed and threads give the same losses)"));
    o.addOption(arg("val-every", "N", "validate every N steps (default: only at the end)"));
    o.addOption(arg("val-batches", "N", "cap on validation batches (default: whole split)"));
    o.addOption(
        arg("checkpoint-every", "N", "checkpoint every N steps (default: only at the end)"));
    o.addOption(arg("stop-after", "N", "stop after N steps of the planned run (resume later)"));
    o.addOption(
        arg("log-every", "N", "log line every N steps when not on a terminal (default 10)"));
    o.addOption(
        arg(
            "resume",
            "DIR",
            "continue the run in DIR (its OUT or OUT/checkpoint) with the same options"));
    o.addOption(arg("out", "DIR", "output folder: DIR/checkpoint/ and DIR/train-report.json"));
    return o;
  }

  private static Option arg(String name, String argName, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(argName).desc(desc).get();
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    TrainConfig config = parse(cmd);
    TrainReport r = new Trainer(config, out).run();
    out.printf(
        "trained %s (%s, objective %s): %d steps, %d tokens, %.3g FLOPs%n",
        r.family(), r.preset(), r.objective(), r.steps(), r.tokens(), r.flops());
    out.printf(
        "this run: steps %d..%d (%d) in %.1f s (%s tok/s)%s%n",
        r.startStep(),
        r.endStep(),
        r.segmentSteps(),
        r.segmentSeconds(),
        r.tokensPerSecond() == null ? "-" : String.format("%.0f", r.tokensPerSecond()),
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

  /** Options to a validated {@link TrainConfig}. */
  static TrainConfig parse(CommandLine cmd) {
    TrainConfig.Builder b = TrainConfig.builder();
    b.family(required(cmd, "family"));
    b.out(Path.of(required(cmd, "out")));
    if (cmd.hasOption("preset")) {
      b.preset(cmd.getOptionValue("preset"));
    }
    if (cmd.hasOption("model-config")) {
      b.modelConfig(Path.of(cmd.getOptionValue("model-config")));
    }
    if (cmd.hasOption("data")) {
      b.data(Path.of(cmd.getOptionValue("data")));
    }
    if (cmd.hasOption("tokenizer")) {
      b.tokenizer(cmd.getOptionValue("tokenizer"));
    }
    if (cmd.hasOption("mode")) {
      b.mode(cmd.getOptionValue("mode"));
    }
    if (cmd.hasOption("objective")) {
      b.objective(cmd.getOptionValue("objective"));
    }
    if (cmd.hasOption("resume")) {
      b.resume(Path.of(cmd.getOptionValue("resume")));
    }
    b.seqLen(CliOptions.intOpt(cmd, "seq-len", 256, 2));
    b.batch(CliOptions.intOpt(cmd, "batch", 32, 1));
    b.accumulation(CliOptions.intOpt(cmd, "accum", 1, 1));
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
    double lr = doubleOpt(cmd, "lr", 1e-3);
    b.lr(lr);
    b.minLr(doubleOpt(cmd, "min-lr", lr / 10));
    b.warmup(CliOptions.longOpt(cmd, "warmup", -1, 0));
    AdamWConfig paper = AdamWConfig.PAPER;
    b.adamW(
        new AdamWConfig(
            paper.beta1(),
            doubleOpt(cmd, "beta2", paper.beta2()),
            paper.eps(),
            doubleOpt(cmd, "weight-decay", paper.weightDecay())));
    b.clipNorm(doubleOpt(cmd, "clip", 1.0));
    b.ema(doubleOpt(cmd, "ema", 0));
    b.dropout(doubleOpt(cmd, "dropout", 0));
    b.seed(CliOptions.longOpt(cmd, "seed", 1, Long.MIN_VALUE));
    b.threads(
        CliOptions.intOpt(
            cmd, "threads", Runtime.getRuntime().availableProcessors(), 0, MAX_THREADS));
    b.valEvery(CliOptions.longOpt(cmd, "val-every", 0, 0));
    b.valBatches(CliOptions.intOpt(cmd, "val-batches", 0, 0));
    b.checkpointEvery(CliOptions.longOpt(cmd, "checkpoint-every", 0, 0));
    b.stopAfter(CliOptions.longOpt(cmd, "stop-after", 0, 0));
    b.logEvery(CliOptions.longOpt(cmd, "log-every", 10, 1));
    java.util.Map<String, String> options = CliOptions.keyValues(cmd, "option");
    if (cmd.hasOption("alpha0")) {
      options.put("alpha_0", cmd.getOptionValue("alpha0").trim());
    }
    if (cmd.hasOption("batch-split")) {
      options.put("batch_split", cmd.getOptionValue("batch-split").trim());
    }
    b.familyTraining(
        new dev.dllm.trainer.FamilyTraining(
            options,
            cmd.hasOption("init-from") ? Path.of(cmd.getOptionValue("init-from")) : null,
            CliOptions.longOpt(cmd, "steps-per-round", 0, 1)));
    return b.build().validate();
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
