package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.data.CorpusData;
import dev.dllm.trainer.data.TrainingData;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import dev.dllm.trainer.model.ModelConfigFile;
import dev.dllm.trainer.optim.AdamW;
import dev.dllm.trainer.optim.Ema;
import dev.dllm.trainer.optim.Tensors;
import dev.dllm.trainer.optim.WarmupCosineLr;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * The training loop (spec §1.4, §2.2, §5, §8.1): AdamW with warmup + cosine decay, global-norm
 * clipping, optional EMA and gradient accumulation; length from a FLOPs budget or a step count;
 * periodic validation through the family's float64 {@code nelbo}; atomic checkpoints and exact
 * resume.
 *
 * <p>Determinism: the data of step s is a pure function of (seed, s) ({@link TrainingData}), and
 * every random draw of step s (times, corruption, dropout) comes from {@code new Rng(seed · K + s)}
 * and a PyTorch seed derived from the same pair. So with a fixed thread count, 20 steps in one go
 * and 10 + resume + 10 give bit-identical losses (TrainerResumeTest).
 *
 * <p>Families come only from {@link FamilyRegistry} and the {@link TrainingObjective} registered
 * for the family's name; the trainer names none of them. A family whose {@link
 * DiffusionFamily#schedule()} is null (AR) trains on x0 directly with sigma = 0.
 */
public final class Trainer {
  /** Multiplier that spreads (seed, step) pairs over distinct Rng seeds. */
  static final long SEED_STRIDE = 1_000_003L;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final TrainConfig config;
  private final PrintStream log;
  private LongPredicate nanAtStep = s -> false;

  public Trainer(TrainConfig config, PrintStream log) {
    this.config = config.validate();
    this.log = log;
  }

  /** Runs {@code config} and logs to standard output. */
  public static TrainReport run(TrainConfig config) {
    return new Trainer(config, System.out).run();
  }

  /** Testing aid: makes the loss of the steps matching {@code p} NaN. */
  Trainer injectNan(LongPredicate p) {
    this.nanAtStep = p;
    return this;
  }

  /**
   * Trains, validates, writes {@code out/checkpoint/} and {@code out/train-report.json}.
   *
   * @throws InvalidInputException for bad options, an unknown family/objective or a bad checkpoint
   * @throws TrainingDivergedException when the loss or gradient norm becomes NaN/Inf (the last good
   *     checkpoint is kept)
   */
  public TrainReport run() {
    Engine engine = Engine.getEngine("PyTorch"); // loads the native library
    if (config.threads() > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(config.threads());
    }
    DiffusionFamily family = FamilyRegistry.load().get(config.family());
    TrainingObjective<NDArray> objective = Objectives.forFamily(family.name());
    String objectiveName = Objectives.resolve(objective, config.objective());
    Checkpoint.Loaded resumed = config.resume() != null ? loadCheckpoint(config.resume()) : null;
    if (resumed != null && !resumed.family().equals(family.name())) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + ": checkpoint is family '"
              + resumed.family()
              + "', not '"
              + family.name()
              + "'");
    }
    TrainingData data =
        CorpusData.load(
            config.data(),
            resumed != null ? resumed.tokenizer() : null,
            config.tokenizer(),
            config.seqLen(),
            BlockMode.parse(config.mode()),
            config.seed());
    Tokenizer tokenizer = data.tokenizer();
    SpecialTokens specials = tokenizer.specials();
    DitConfig shape =
        resumed != null
            ? resumed.weights().config()
            : withDropout(
                ModelConfigFile.resolve(
                    config.modelConfig() != null
                        ? config.modelConfig().toString()
                        : config.preset(),
                    tokenizer.vocabSize(),
                    family.backbone().attention()),
                config.dropout());
    if (shape.vocabSize() != tokenizer.vocabSize()) {
      throw new InvalidInputException(
          "model vocabulary "
              + shape.vocabSize()
              + " differs from the tokenizer's "
              + tokenizer.vocabSize());
    }
    long nEff = shape.nEff();
    long totalSteps =
        config.flops() > 0
            ? FlopsBudget.steps(config.flops(), nEff, config.batch(), config.seqLen())
            : config.steps();
    long warmup = config.warmup() >= 0 ? config.warmup() : WarmupCosineLr.defaultWarmup(totalSteps);
    WarmupCosineLr schedule =
        new WarmupCosineLr(config.lr(), config.minLr(), Math.min(warmup, totalSteps), totalSteps);
    long startStep = 0;
    if (resumed != null) {
      startStep = asLong(resumed.trainingState().get("step"));
      requireSame(resumed.trainingState(), "batch", config.batch());
      requireSame(resumed.trainingState(), "seq_len", config.seqLen());
      requireSame(resumed.trainingState(), "seed", config.seed());
      requireSame(resumed.trainingState(), "total_steps", totalSteps);
      Object storedObjective = resumed.trainingState().get("objective");
      if (storedObjective != null && !storedObjective.equals(objectiveName)) {
        throw new InvalidInputException(
            "--resume: the checkpoint was trained with objective "
                + storedObjective
                + ", not "
                + objectiveName);
      }
    }
    long endStep = config.stopAfter() > 0 ? Math.min(totalSteps, config.stopAfter()) : totalSteps;
    if (startStep > endStep) {
      throw new InvalidInputException(
          "--resume: the checkpoint is at step " + startStep + ", past the planned " + endStep);
    }
    List<Double> trace = new ArrayList<>();
    long tokensPerStep = (long) config.batch() * config.seqLen();
    ValidationResult val;
    double seconds;
    try (NDManager root = NDManager.newBaseManager(engine.defaultDevice(), engine.getEngineName());
        DitModel model =
            resumed != null
                ? DitModel.fromWeights(root, resumed.weights())
                : DitModel.create(root, shape, config.seed())) {
      Map<String, NDArray> params = model.parameters();
      try (AdamW adam = new AdamW(root, config.adamW(), params);
          Ema ema = config.ema() > 0 ? new Ema(root, config.ema(), params) : null;
          ProgressLog progress =
              new ProgressLog(
                  log, startStep, endStep, config.logEvery(), System.console() != null)) {
        if (resumed != null) {
          adam.load(resumed.optimizerState(), asLong(resumed.trainingState().get("adam_step")));
          if (ema != null) {
            ema.load(resumed.optimizerState(), asLong(resumed.trainingState().get("ema_updates")));
          }
        }
        model.setTraining(config.dropout() > 0);
        long t0 = System.nanoTime();
        long lastCheckpoint = startStep;
        TrainStep trainStep =
            new TrainStep(
                family,
                objective,
                objectiveName,
                specials,
                config.accumulation(),
                config.clipNorm());
        for (long step = startStep; step < endStep; step++) {
          Rng rng = new Rng(config.seed() * SEED_STRIDE + step);
          engine.setRandomSeed((int) (config.seed() * SEED_STRIDE + step));
          TokenBatch x0 = data.trainBatch(step, config.batch());
          TrainStep.Result r =
              trainStep.run(model::forward, params, root, x0, rng, nanAtStep.test(step));
          if (!Double.isFinite(r.loss())) {
            throw diverged(step, "loss is " + r.loss(), lastCheckpoint);
          }
          if (!Double.isFinite(r.gradNorm())) {
            throw diverged(step, "gradient norm is " + r.gradNorm(), lastCheckpoint);
          }
          trace.add(r.loss());
          adam.step(params, schedule.at(step));
          if (ema != null) {
            ema.update(params);
          }
          progress.step(step, trace.get(trace.size() - 1), schedule.at(step), tokensPerStep);
          long done = step + 1;
          if (config.valEvery() > 0 && done % config.valEvery() == 0 && done < endStep) {
            ValidationResult v = validate(family, model, ema, root, data);
            progress.info(
                String.format(
                    "step %d: val %.4f nats/token (%.4f bits, ppl %.3f) over %d tokens",
                    done, v.natsPerToken(), v.bitsPerToken(), v.perplexity(), v.tokens()));
          }
          if (config.checkpointEvery() > 0
              && done % config.checkpointEvery() == 0
              && done < endStep) {
            save(model, adam, ema, tokenizer, family, objectiveName, done, totalSteps, trace);
            lastCheckpoint = done;
          }
        }
        seconds = (System.nanoTime() - t0) / 1e9;
        save(model, adam, ema, tokenizer, family, objectiveName, endStep, totalSteps, trace);
        val = validate(family, model, ema, root, data);
        progress.info(
            String.format(
                "validation: %.4f nats/token, %.4f bits/token, ppl %.3f over %d tokens",
                val.natsPerToken(), val.bitsPerToken(), val.perplexity(), val.tokens()));
      }
    }
    long stepsRun = endStep - startStep;
    long tokens = stepsRun * tokensPerStep;
    TrainReport report =
        new TrainReport(
            family.name(),
            objectiveName,
            config.modelConfig() != null ? config.modelConfig().toString() : config.preset(),
            tokenizer.spec(),
            tokenizer.vocabSize(),
            DitLayout.totalParams(shape),
            DitLayout.nonEmbeddingParams(shape),
            nEff,
            config.seqLen(),
            config.batch(),
            config.accumulation(),
            stepsRun,
            startStep,
            endStep,
            tokens,
            FlopsBudget.spent(stepsRun, nEff, config.batch(), config.seqLen()),
            config.flops(),
            seconds,
            seconds > 0 ? tokens / seconds : Double.NaN,
            config.threads() > 0 ? config.threads() : engineThreads(),
            trace.isEmpty() ? Double.NaN : trace.get(trace.size() - 1),
            val.natsPerToken(),
            val.bitsPerToken(),
            val.perplexity(),
            val.tokens(),
            val.batches(),
            config.ema() > 0,
            config.checkpointDir().toString(),
            trace);
    writeReport(report);
    return report;
  }

  private ValidationResult validate(
      DiffusionFamily family, DitModel model, Ema ema, NDManager root, TrainingData data) {
    boolean wasTraining = model.isTraining();
    model.setTraining(false);
    try {
      if (ema == null) {
        try (DjlDenoiser den = new DjlDenoiser(model)) {
          return Validator.run(
              family, den, data, config.batch(), config.valBatches(), config.seed() + 17);
        }
      }
      try (DitModel emaModel = DitModel.fromWeights(root, weightsOf(model.config(), ema.shadow()));
          DjlDenoiser den = new DjlDenoiser(emaModel)) {
        return Validator.run(
            family, den, data, config.batch(), config.valBatches(), config.seed() + 17);
      }
    } finally {
      model.setTraining(wasTraining);
    }
  }

  private void save(
      DitModel model,
      AdamW adam,
      Ema ema,
      Tokenizer tokenizer,
      DiffusionFamily family,
      String objectiveName,
      long step,
      long totalSteps,
      List<Double> trace) {
    Map<String, Tensor> opt = new LinkedHashMap<>(adam.stateTensors());
    if (ema != null) {
      opt.putAll(ema.stateTensors());
    }
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("step", step);
    state.put("total_steps", totalSteps);
    state.put("adam_step", adam.stepCount());
    state.put("ema_updates", ema != null ? ema.updates() : 0L);
    state.put("seed", config.seed());
    state.put("objective", objectiveName);
    state.put("lr", config.lr());
    state.put("min_lr", config.minLr());
    state.put("batch", config.batch());
    state.put("seq_len", config.seqLen());
    state.put("last_loss", trace.isEmpty() ? null : trace.get(trace.size() - 1));
    try {
      Checkpoint.save(
          config.checkpointDir(), model.toWeights(), opt, state, tokenizer, family.name());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the checkpoint " + config.checkpointDir() + " (the previous one is kept)",
          e);
    }
  }

  private static Checkpoint.Loaded loadCheckpoint(Path dir) {
    try {
      return Checkpoint.load(dir);
    } catch (IOException e) {
      throw new InvalidInputException(
          "--resume " + dir + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private TrainingDivergedException diverged(long step, String what, long lastCheckpoint) {
    Path ck = config.checkpointDir();
    String keep =
        Files.isDirectory(ck)
            ? "the last good checkpoint (step " + lastCheckpoint + ") is kept in " + ck
            : "no checkpoint was written yet";
    return new TrainingDivergedException(
        "training diverged at step " + (step + 1) + ": " + what + "; stopped; " + keep);
  }

  private void writeReport(TrainReport report) {
    try {
      Files.createDirectories(config.out());
      Path tmp = Files.createTempFile(config.out(), "train-report", ".json.tmp");
      JSON.writeValue(tmp.toFile(), report);
      Files.move(
          tmp,
          config.reportFile(),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config.reportFile(), e);
    }
  }

  private static DitConfig withDropout(DitConfig c, double dropout) {
    return new DitConfig(
        c.vocabSize(), c.hidden(), c.blocks(), c.heads(), c.condDim(), c.attention(), dropout);
  }

  static DitWeights weightsOf(DitConfig cfg, Map<String, NDArray> arrays) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      out.put(e.getKey(), Tensors.toTensor(e.getValue()));
    }
    return new DitWeights(cfg, out);
  }

  private void requireSame(Map<String, Object> state, String key, long value) {
    Object stored = state.get(key);
    if (stored != null && asLong(stored) != value) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + ": the checkpoint was trained with "
              + key
              + " = "
              + stored
              + " but this run has "
              + value
              + "; resume with the same options");
    }
  }

  private static long asLong(Object o) {
    if (o instanceof Number n) {
      return n.longValue();
    }
    if (o instanceof String s) {
      return Long.parseLong(s);
    }
    throw new InvalidInputException("checkpoint training state: expected a number, got " + o);
  }

  private static int engineThreads() {
    String p = System.getProperty("ai.djl.pytorch.num_threads");
    return p != null ? Integer.parseInt(p) : Runtime.getRuntime().availableProcessors();
  }
}
