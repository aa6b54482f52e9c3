package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.optim.AdamWConfig;
import java.nio.file.Path;

/**
 * Everything a training run needs ({@code dllm train}; spec §8.1 for the defaults the paper uses).
 * Build with {@link #builder()}; {@link #validate()} checks the values.
 *
 * @param family family name, resolved through {@link dev.dllm.api.FamilyRegistry}
 * @param objective training objective of the family ({@code ce}, {@code elbo}, {@code low_var});
 *     null = the family's default (the first of {@code TrainingObjective#objectives()})
 * @param preset model preset ({@code xxs}, {@code xs}, {@code s}, {@code m}, {@code 6M}...);
 *     ignored when {@code modelConfig} is set
 * @param modelConfig YAML/JSON file with the DiT shape, or null
 * @param data corpus file or folder; null = the bundled Tiny Shakespeare
 * @param tokenizer tokenizer spec ({@code char}, {@code byte}, {@code gpt2}, {@code hf:PATH}, ...)
 * @param mode block mode: {@code pack} (consecutive L tokens, the [SD] default) or {@code wrap}
 *     (BOS + L−2 tokens + EOS); spec §1.2
 * @param newlines line ends of the corpus as read: {@code lf} (CRLF and CR become LF, the default)
 *     or {@code keep} ({@link dev.dllm.data.corpus.Newlines})
 * @param seqLen L, tokens per training sequence
 * @param batch B, sequences per optimizer step (the global batch)
 * @param accumulation K, micro-steps per optimizer step (B must be divisible by K)
 * @param flops compute budget C in FLOPs (0 = use {@code steps}); steps = floor(C / (6 N_eff B L))
 * @param steps optimizer steps (used when {@code flops} is 0; 0 = not given)
 * @param lr peak learning rate
 * @param minLr floor of the cosine decay
 * @param warmup warmup steps, -1 = {@link dev.dllm.trainer.optim.WarmupCosineLr#defaultWarmup}
 * @param adamW optimizer hyperparameters
 * @param clipNorm global gradient-norm bound (0 disables clipping)
 * @param ema EMA decay in (0, 1), 0 = no EMA
 * @param dropout residual dropout during training
 * @param seed every random draw of step s derives from (seed, s)
 * @param threads PyTorch intra-op threads, 0 = leave the engine's setting
 * @param valEvery validate every N steps (0 = only at the end)
 * @param valBatches cap on validation batches (0 = the whole validation split)
 * @param checkpointEvery checkpoint every N steps (0 = only at the end)
 * @param resume checkpoint directory to continue from (or the output folder of the run, which holds
 *     it as {@code checkpoint/}), or null. The run must be continued with the same options: family,
 *     objective, preset/model config, tokenizer, seq_len, batch, seed, length (steps or FLOPs),
 *     warmup, lr and min_lr are checked against the checkpoint and a change is refused. Every
 *     checkpoint also keeps all the options ({@link StoredRunConfig}), from which {@code dllm train
 *     --resume} and {@code dllm distill --resume} build the resumed config
 * @param out output folder: {@code out/checkpoint/} and {@code out/train-report.json}; it must not
 *     hold another run (a checkpoint or report) unless that is the run being resumed
 * @param stopAfter stop (with a checkpoint) once this many steps are done, although the schedule is
 *     planned for the full run; 0 = run to the end (used to train in chunks and by tests)
 * @param logEvery plain log line every N steps when the output is not a terminal
 * @param familyTraining family options, initial weights and teacher rounds ({@link FamilyTraining})
 * @param sft supervised fine-tuning on prompt/response pairs ({@code data} is then a JSONL file of
 *     pairs and the tokenizer comes from the checkpoint), or null to pre-train on a corpus
 */
public record TrainConfig(
    String family,
    String objective,
    String preset,
    Path modelConfig,
    Path data,
    String tokenizer,
    String mode,
    String newlines,
    int seqLen,
    int batch,
    int accumulation,
    double flops,
    long steps,
    double lr,
    double minLr,
    long warmup,
    AdamWConfig adamW,
    double clipNorm,
    double ema,
    double dropout,
    long seed,
    int threads,
    long valEvery,
    int valBatches,
    long checkpointEvery,
    Path resume,
    Path out,
    long stopAfter,
    long logEvery,
    FamilyTraining familyTraining,
    SftOptions sft) {

  /**
   * Checks ranges and combinations.
   *
   * @throws InvalidInputException naming the option and what was expected
   */
  public TrainConfig validate() {
    TrainConfigChecks.check(this);
    return this;
  }

  /** Folder of the checkpoint written by the run: {@code out/checkpoint}. */
  public Path checkpointDir() {
    return out.resolve("checkpoint");
  }

  /** Path of the JSON report: {@code out/train-report.json}. */
  public Path reportFile() {
    return out.resolve("train-report.json");
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The laptop-scale demo run (the "done when"): preset xs, char tokenizer on the bundled
   * Tiny Shakespeare, L 256, B 32, a 5e12-FLOP budget (127 steps for V = 69), lr 1e-3 with cosine
   * decay to 1e-4, validation over the whole validation split at the end.
   *
   * @param objective null for the family's default
   */
  public static TrainConfig demo(String family, String objective, Path out) {
    return builder()
        .family(family)
        .objective(objective)
        .preset("xs")
        .tokenizer("char")
        .seqLen(256)
        .batch(32)
        .flops(5e12)
        .out(out)
        .build()
        .validate();
  }

  /** A builder with the defaults of {@code dllm train}. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.family = family;
    b.objective = objective;
    b.preset = preset;
    b.modelConfig = modelConfig;
    b.data = data;
    b.tokenizer = tokenizer;
    b.mode = mode;
    b.newlines = newlines;
    b.seqLen = seqLen;
    b.batch = batch;
    b.accumulation = accumulation;
    b.flops = flops;
    b.steps = steps;
    b.lr = lr;
    b.minLr = minLr;
    b.warmup = warmup;
    b.adamW = adamW;
    b.clipNorm = clipNorm;
    b.ema = ema;
    b.dropout = dropout;
    b.seed = seed;
    b.threads = threads;
    b.valEvery = valEvery;
    b.valBatches = valBatches;
    b.checkpointEvery = checkpointEvery;
    b.resume = resume;
    b.out = out;
    b.stopAfter = stopAfter;
    b.logEvery = logEvery;
    b.familyTraining = familyTraining;
    b.sft = sft;
    return b;
  }

  /**
   * Mutable builder; defaults: xs preset, char tokenizer, pack mode, L 256, B 32, lr 1e-3, min_lr
   * lr/10, seed 1.
   */
  public static final class Builder {
    private String family;
    private String objective;
    private String preset = "xs";
    private Path modelConfig;
    private Path data;
    private String tokenizer = "char";
    private String mode = "pack";
    private String newlines = dev.dllm.data.corpus.Newlines.DEFAULT.id();
    private int seqLen = 256;
    private int batch = 32;
    private int accumulation = 1;
    private double flops;
    private long steps;
    private double lr = 1e-3;
    private double minLr = Double.NaN;
    private long warmup = -1;
    private AdamWConfig adamW = AdamWConfig.PAPER;
    private double clipNorm = 1.0;
    private double ema;
    private double dropout;
    private long seed = 1;
    private int threads;
    private long valEvery;
    private int valBatches;
    private long checkpointEvery;
    private Path resume;
    private Path out;
    private long stopAfter;
    private long logEvery = 10;
    private FamilyTraining familyTraining = FamilyTraining.NONE;
    private SftOptions sft;

    public Builder family(String v) {
      family = v;
      return this;
    }

    public Builder objective(String v) {
      objective = v;
      return this;
    }

    public Builder preset(String v) {
      preset = v;
      return this;
    }

    public Builder modelConfig(Path v) {
      modelConfig = v;
      return this;
    }

    public Builder data(Path v) {
      data = v;
      return this;
    }

    public Builder tokenizer(String v) {
      tokenizer = v;
      return this;
    }

    public Builder mode(String v) {
      mode = v;
      return this;
    }

    public Builder newlines(String v) {
      newlines = v;
      return this;
    }

    public Builder seqLen(int v) {
      seqLen = v;
      return this;
    }

    public Builder batch(int v) {
      batch = v;
      return this;
    }

    public Builder accumulation(int v) {
      accumulation = v;
      return this;
    }

    public Builder flops(double v) {
      flops = v;
      return this;
    }

    public Builder steps(long v) {
      steps = v;
      return this;
    }

    public Builder lr(double v) {
      lr = v;
      return this;
    }

    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    public Builder warmup(long v) {
      warmup = v;
      return this;
    }

    public Builder adamW(AdamWConfig v) {
      adamW = v;
      return this;
    }

    public Builder clipNorm(double v) {
      clipNorm = v;
      return this;
    }

    public Builder ema(double v) {
      ema = v;
      return this;
    }

    public Builder dropout(double v) {
      dropout = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder valEvery(long v) {
      valEvery = v;
      return this;
    }

    public Builder valBatches(int v) {
      valBatches = v;
      return this;
    }

    public Builder checkpointEvery(long v) {
      checkpointEvery = v;
      return this;
    }

    public Builder resume(Path v) {
      resume = v;
      return this;
    }

    public Builder out(Path v) {
      out = v;
      return this;
    }

    public Builder stopAfter(long v) {
      stopAfter = v;
      return this;
    }

    public Builder logEvery(long v) {
      logEvery = v;
      return this;
    }

    public Builder familyTraining(FamilyTraining v) {
      familyTraining = v;
      return this;
    }

    public Builder sft(SftOptions v) {
      sft = v;
      return this;
    }

    /** The config (min_lr defaults to lr / 10); call {@link TrainConfig#validate()} to check it. */
    public TrainConfig build() {
      return new TrainConfig(
          family,
          objective,
          preset,
          modelConfig,
          data,
          tokenizer,
          mode,
          newlines,
          seqLen,
          batch,
          accumulation,
          flops,
          steps,
          lr,
          Double.isNaN(minLr) ? lr / 10 : minLr,
          warmup,
          adamW,
          clipNorm,
          ema,
          dropout,
          seed,
          threads,
          valEvery,
          valBatches,
          checkpointEvery,
          resume,
          out,
          stopAfter,
          logEvery,
          familyTraining,
          sft);
    }
  }
}
