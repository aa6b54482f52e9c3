package dev.dllm.cli;

import static dev.dllm.cli.CliOptions.opt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.trainer.FamilyTraining;
import dev.dllm.trainer.SftOptions;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm finetune}: supervised fine-tuning of a checkpoint on prompt/response pairs with the
 * {@link Trainer} ({@link SftOptions}). The family, tokenizer, model shape and family options come
 * from {@code --init-from} (fresh AdamW); each pair of {@code --data} (JSONL {@code prompt}/{@code
 * response}, or GSM8K's {@code question}/{@code answer} with the template {@code Question:
 * {question}\nAnswer:} + {@code " {answer}"}) is one block of L: prompt + response + EOS padding,
 * with the prompt given (never corrupted, never scored). Validation is the family's conditional
 * NELBO (AR: exact NLL) of the held-out responses given their prompts.
 *
 * <p>A command of its own rather than {@code train --sft}: its data, tokenizer and model are not
 * {@code train}'s options ({@code --tokenizer}, {@code --preset}, {@code --mode} have no meaning
 * here), its defaults come from the checkpoint, and it adds options of its own ({@code --val-data},
 * {@code --val-fraction}, {@code --max-skip}). The run folder is a normal training run: {@code
 * checkpoint/}, {@code train-report.json} (with an {@code sft} section), {@code --resume OUT} alone
 * continues it bit-exactly, and {@code dllm export} takes its checkpoint.
 */
public final class FinetuneCommand implements Command {
  /** Default peak learning rate: 3e-4, about a third of {@code train}'s 1e-3. */
  static final double DEFAULT_LR = 3e-4;

  /** What a resumed fine-tuning keeps, in the order checked (see {@link ResumeOptions}). */
  static final List<ResumeOptions.Fixed> FINETUNE =
      List.of(
          ResumeOptions.Fixed.of("init-from", c -> absolute(c.familyTraining().initFrom())),
          ResumeOptions.Fixed.of("data", c -> absolute(c.data())),
          ResumeOptions.Fixed.of("val-data", c -> absolute(c.sft().valData())),
          ResumeOptions.Fixed.of("val-fraction", c -> c.sft().valFraction()),
          ResumeOptions.Fixed.of("max-skip", c -> c.sft().maxSkipPercent()),
          ResumeOptions.Fixed.of("objective", TrainConfig::objective),
          ResumeOptions.Fixed.of("seq-len", TrainConfig::seqLen),
          ResumeOptions.Fixed.of("batch", TrainConfig::batch),
          ResumeOptions.Fixed.of("accum", TrainConfig::accumulation),
          new ResumeOptions.Fixed(
              List.of("steps", "flops"),
              c -> c.flops() > 0 ? "--flops " + c.flops() : "--steps " + c.steps()),
          ResumeOptions.Fixed.of("lr", TrainConfig::lr),
          ResumeOptions.Fixed.of("min-lr", TrainConfig::minLr),
          ResumeOptions.Fixed.of("warmup", c -> c.warmup() < 0 ? "default" : c.warmup()),
          ResumeOptions.Fixed.of("seed", TrainConfig::seed),
          ResumeOptions.Fixed.of("val-batches", c -> c.valBatches() == 0 ? "all" : c.valBatches()),
          ResumeOptions.Fixed.of("option", c -> c.familyTraining().options()));

  @Override
  public String name() {
    return "finetune";
  }

  @Override
  public String summary() {
    return "supervised fine-tuning of a checkpoint on prompt/response pairs (JSONL, GSM8K)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        opt("init-from", "DIR", "checkpoint to fine-tune: family, tokenizer, model (its OUT)"));
    o.addOption(
        opt(
            "data",
            "FILE",
            "JSONL pairs {\"prompt\",\"response\"} or GSM8K {\"question\",\"answer\"}"));
    o.addOption(opt("val-data", "FILE", "held-out pairs (default: hold out --val-fraction)"));
    o.addOption(opt("val-fraction", "F", "share of --data held out, fixed pairs (default 0.05)"));
    o.addOption(
        opt(
            "max-skip",
            "PCT",
            "refuse when more than PCT % of pairs do not fit --seq-len (default 5; they are"
                + " skipped, never truncated)"));
    o.addOption(opt("steps", "N", "optimizer steps"));
    o.addOption(opt("flops", "C", "compute budget instead: steps = floor(C / (6 N_eff B L))"));
    o.addOption(opt("lr", "X", "peak learning rate (default 3e-4)"));
    o.addOption(opt("min-lr", "X", "end of the cosine decay (default lr/10)"));
    o.addOption(opt("warmup", "N", "linear warmup steps (default as dllm train)"));
    o.addOption(opt("batch", "B", "pairs per optimizer step (default: the checkpoint's)"));
    o.addOption(opt("seq-len", "L", "tokens per block (default: the checkpoint's)"));
    o.addOption(opt("accum", "K", "gradient-accumulation micro-steps (default 1)"));
    o.addOption(opt("objective", "NAME", "training objective (default: the family's)"));
    o.addOption(
        Option.builder()
            .longOpt("option")
            .hasArgs()
            .argName("KEY=VALUE")
            .desc("family option over the checkpoint's, repeatable")
            .get());
    RunOptions.add(o);
    o.addOption(opt("val-every", "N", "validate every N steps (default: only at the end)"));
    o.addOption(
        opt("checkpoint-every", "N", "checkpoint every N steps (default: only at the end)"));
    o.addOption(opt("resume", "DIR", "continue the fine-tuning in DIR with its stored options"));
    o.addOption(
        opt("out", "DIR", "output folder (must not exist): checkpoint/, train-report.json"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    // the lock on a resumed run is taken before its checkpoint is read
    try (OutputLock lock = ResumeOptions.lockResumed(cmd, "dllm finetune")) {
      return finetune(cmd, out);
    }
  }

  private int finetune(CommandLine cmd, PrintStream out) {
    TrainConfig config = parse(cmd);
    TrainReport r =
        new Trainer(config, out).progress(ConsoleProgress.of(out)).command("dllm finetune").run();
    Map<String, Object> sft = r.sft();
    out.printf(
        "fine-tuned %s (objective %s): %d steps, %d tokens, %.3g FLOPs%n",
        r.family(), r.objective(), r.steps(), r.tokens(), r.flops());
    out.println("pairs: " + split(sft, "train") + "; held out: " + split(sft, "val"));
    out.printf(
        "this run: steps %d..%d (%d) in %.1f s (%s tok/s) + %.1f s of validation%n",
        r.startStep(),
        r.endStep(),
        r.segmentSteps(),
        r.segmentSeconds(),
        r.tokensPerSecond() == null ? "-" : String.format("%.0f", r.tokensPerSecond()),
        r.validationSeconds());
    out.printf(
        "final train loss %.4f; validation (response given prompt) %.4f nats/token (ppl %.3f)"
            + " over %d tokens%n",
        r.finalTrainLoss() == null ? Double.NaN : r.finalTrainLoss(),
        r.valNll(),
        r.valPpl(),
        r.valTokens());
    long planned =
        config.steps() > 0
            ? config.steps()
            : dev.dllm.trainer.FlopsBudget.steps(
                config.flops(), r.nEff(), config.batch(), config.seqLen());
    if (r.endStep() < planned) { // --stop-after
      out.printf(
          "stopped at step %d of %d; continue with: dllm finetune --resume %s%n",
          r.endStep(), planned, config.out());
    }
    out.println("checkpoint: " + r.checkpoint());
    out.println("report: " + config.reportFile());
    return 0;
  }

  private static String split(Map<String, Object> sft, String key) {
    if (sft == null || !(sft.get(key) instanceof Map<?, ?> m)) {
      return "-";
    }
    return m.get("blocks") + " of " + m.get("pairs") + " (" + m.get("skipped") + " too long)";
  }

  /** Options to a validated fine-tuning {@link TrainConfig}. */
  static TrainConfig parse(CommandLine cmd) {
    TrainConfig stored = ResumeOptions.stored(cmd);
    if (cmd.hasOption("resume") && (stored == null || stored.sft() == null)) {
      throw new InvalidInputException(
          "--resume "
              + cmd.getOptionValue("resume")
              + ": not a fine-tuning run"
              + (stored != null ? " (continue a pre-training run with dllm train --resume)" : ""));
    }
    Path out = ResumeOptions.out(cmd, stored);
    if (stored == null) {
      refuseExisting(out);
    }
    Init init = stored == null ? Init.read(required(cmd, "init-from", "a checkpoint")) : null;
    TrainConfig.Builder b = TrainConfig.builder();
    b.out(out);
    b.resume(cmd.hasOption("resume") ? Path.of(cmd.getOptionValue("resume")) : null);
    b.family(stored != null ? stored.family() : init.family);
    b.preset(null).modelConfig(null); // the model is the checkpoint's
    b.tokenizer(stored != null ? stored.tokenizer() : init.tokenizer);
    b.mode("pack");
    b.data(
        cmd.hasOption("data")
            ? Path.of(cmd.getOptionValue("data"))
            : stored != null ? stored.data() : required(cmd, "data", "a JSONL file of pairs"));
    SftOptions sd = stored != null ? stored.sft() : SftOptions.DEFAULT;
    if (cmd.hasOption("val-data") && cmd.hasOption("val-fraction")) {
      throw new InvalidInputException("give --val-data FILE or --val-fraction F, not both");
    }
    Path valData = cmd.hasOption("val-data") ? Path.of(cmd.getOptionValue("val-data")) : null;
    if (valData != null && !Files.isRegularFile(valData)) {
      throw new InvalidInputException("--val-data " + valData + ": no such file");
    }
    b.sft(
        new SftOptions(
            cmd.hasOption("val-data") || stored == null ? valData : sd.valData(),
            CliOptions.doubleOpt(cmd, "val-fraction", sd.valFraction()),
            CliOptions.doubleOpt(cmd, "max-skip", sd.maxSkipPercent())));
    b.objective(cmd.getOptionValue("objective", stored != null ? stored.objective() : null));
    b.seqLen(CliOptions.intOpt(cmd, "seq-len", stored != null ? stored.seqLen() : init.seqLen, 2));
    b.batch(CliOptions.intOpt(cmd, "batch", stored != null ? stored.batch() : init.batch, 1));
    b.accumulation(CliOptions.intOpt(cmd, "accum", stored != null ? stored.accumulation() : 1, 1));
    if (stored != null && !cmd.hasOption("flops") && !cmd.hasOption("steps")) {
      b.flops(stored.flops()).steps(stored.steps());
    } else if (!cmd.hasOption("flops") && !cmd.hasOption("steps")) {
      throw new InvalidInputException("give --steps N or --flops C");
    }
    if (cmd.hasOption("flops")) {
      double flops = CliOptions.doubleOpt(cmd, "flops", 0);
      if (!(flops > 0)) {
        throw new InvalidInputException(
            "--flops must be a finite number > 0, got " + cmd.getOptionValue("flops"));
      }
      b.flops(flops);
    }
    if (cmd.hasOption("steps")) {
      b.steps(CliOptions.longOpt(cmd, "steps", 0, 1));
    }
    double lr = CliOptions.doubleOpt(cmd, "lr", stored != null ? stored.lr() : DEFAULT_LR);
    b.lr(lr);
    b.minLr(CliOptions.doubleOpt(cmd, "min-lr", stored != null ? stored.minLr() : lr / 10));
    b.warmup(CliOptions.longOpt(cmd, "warmup", stored != null ? stored.warmup() : -1, 0));
    RunOptions.apply(cmd, b, 1, stored);
    b.valEvery(CliOptions.longOpt(cmd, "val-every", stored != null ? stored.valEvery() : 0, 0));
    b.checkpointEvery(
        CliOptions.longOpt(
            cmd, "checkpoint-every", stored != null ? stored.checkpointEvery() : 0, 0));
    Map<String, String> options =
        new TreeMap<>(stored != null ? stored.familyTraining().options() : init.familyOptions);
    options.putAll(CliOptions.keyValues(cmd, "option"));
    Path initFrom =
        cmd.hasOption("init-from")
            ? Path.of(cmd.getOptionValue("init-from"))
            : stored.familyTraining().initFrom();
    b.familyTraining(new FamilyTraining(options, initFrom, 0));
    TrainConfig config = b.build();
    if (stored != null) {
      ResumeOptions.requireSame(cmd, stored, config, FINETUNE);
    }
    return config.validate();
  }

  /** Refuses an {@code --out} that exists and is not an empty folder (a new run writes it). */
  private static void refuseExisting(Path out) {
    if (!Files.exists(out)) {
      return;
    }
    boolean empty = false;
    if (Files.isDirectory(out)) {
      try (Stream<Path> s = Files.list(out)) {
        empty = s.findAny().isEmpty();
      } catch (IOException e) {
        throw new InvalidInputException("--out " + out + ": cannot read (" + e.getMessage() + ")");
      }
    }
    if (!empty) {
      throw new InvalidInputException(
          "--out "
              + out
              + " already exists"
              + (Files.isDirectory(out) ? " and is not empty" : " (a file)")
              + "; give a new folder (or --resume "
              + out
              + " to continue a fine-tuning there)");
    }
  }

  private static Path required(CommandLine cmd, String name, String what) {
    String v = cmd.getOptionValue(name);
    if (v == null || v.isBlank()) {
      throw new InvalidInputException("--" + name + " is required (" + what + ")");
    }
    return Path.of(v);
  }

  private static String absolute(Path p) {
    return p == null ? null : p.toAbsolutePath().normalize().toString();
  }

  /** What a fine-tuning takes from the checkpoint's config.json as defaults. */
  private record Init(
      String family, String tokenizer, int batch, int seqLen, Map<String, String> familyOptions) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Init read(Path given) {
      Path dir = CheckpointDir.of(given);
      Path file = dir.resolve(Checkpoint.CONFIG_FILE);
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(
            "--init-from " + given + ": not a checkpoint (no " + Checkpoint.CONFIG_FILE + ")");
      }
      JsonNode root;
      try {
        root = JSON.readTree(file.toFile());
      } catch (IOException e) {
        throw new InvalidInputException("--init-from " + file + ": cannot read: " + e.getMessage());
      }
      String family = root.path("family").asText("");
      String tokenizer = root.path("tokenizer").path("spec").asText("");
      if (family.isEmpty() || tokenizer.isEmpty()) {
        throw new InvalidInputException(
            "--init-from "
                + file
                + ": missing field '"
                + (family.isEmpty() ? "family" : "tokenizer.spec")
                + "'");
      }
      JsonNode t = root.path("training");
      Map<String, String> options = new TreeMap<>();
      JsonNode fo = t.path("family_options");
      for (Iterator<String> it = fo.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        options.put(key, fo.get(key).asText());
      }
      int batch = t.path("batch").isInt() ? t.path("batch").asInt() : 32;
      int seqLen = t.path("seq_len").isInt() ? t.path("seq_len").asInt() : 256;
      return new Init(family, tokenizer, batch, seqLen, options);
    }
  }
}
