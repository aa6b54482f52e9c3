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
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
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
    Path resumeDir = config.resume() != null ? resumeCheckpoint(config.resume()) : null;
    checkOut(resumeDir);
    Engine engine = Engine.getEngine("PyTorch"); // loads the native library
    if (config.threads() > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(config.threads());
    }
    FamilyTraining ft = config.familyTraining();
    DiffusionFamily family = FamilyRegistry.load().get(config.family()).configure(ft.options());
    // the objective sees the configured family's keys, the run's training-only options and, with
    // a teacher, its round length (steps_per_round)
    Map<String, String> objectiveOptions = new java.util.LinkedHashMap<>(family.exportMetadata());
    objectiveOptions.putAll(ft.options());
    if (ft.hasTeacher()) {
      objectiveOptions.put("steps_per_round", Long.toString(ft.teacherRefresh()));
    }
    TrainingObjective<NDArray> objective =
        Objectives.forFamily(family.name()).configure(objectiveOptions);
    Objectives.requireKnownOptions(family, objective, ft.options());
    String objectiveName = Objectives.resolve(objective, config.objective());
    Checkpoint.Loaded resumed = resumeDir != null ? loadCheckpoint(resumeDir) : null;
    Checkpoint.Loaded init = resumed == null ? initCheckpoint(family) : null;
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
    if (resumed != null) {
      requireSameModelAndTokenizer(resumed);
    }
    TrainingData data =
        CorpusData.load(
            config.data(),
            resumed != null ? resumed.tokenizer() : init != null ? init.tokenizer() : null,
            config.tokenizer(),
            config.seqLen(),
            BlockMode.parse(config.mode()),
            config.seed());
    Tokenizer tokenizer = data.tokenizer();
    SpecialTokens specials = tokenizer.specials();
    DitConfig requested =
        withDropout(
            ModelConfigFile.resolve(
                modelName(), tokenizer.vocabSize(), family.backbone().attention()),
            config.dropout());
    DitConfig shape = init != null ? init.weights().config() : requested;
    if (resumed != null) {
      shape = resumed.weights().config();
      if (!withDropout(requested, shape.dropout()).equals(shape)) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint's model is "
                + describe(shape)
                + " but "
                + modelOption()
                + " gives "
                + describe(requested)
                + "; resume with the same options");
      }
    }
    if (shape.vocabSize() != tokenizer.vocabSize()) {
      throw new InvalidInputException(
          "model vocabulary "
              + shape.vocabSize()
              + " differs from the tokenizer's "
              + tokenizer.vocabSize());
    }
    MemoryBudget.check(config, shape, data.validSequences()); // before anything is allocated
    long nEff = shape.nEff();
    long totalSteps =
        config.flops() > 0
            ? FlopsBudget.steps(config.flops(), nEff, config.batch(), config.seqLen())
            : config.steps();
    long warmup =
        Math.min(
            config.warmup() >= 0 ? config.warmup() : WarmupCosineLr.defaultWarmup(totalSteps),
            totalSteps);
    WarmupCosineLr schedule = new WarmupCosineLr(config.lr(), config.minLr(), warmup, totalSteps);
    long startStep = 0;
    List<Double> trace = new ArrayList<>();
    long traceStart = 0;
    double priorSeconds = 0;
    if (resumed != null) {
      Map<String, Object> state = resumed.trainingState();
      startStep = asLong(state.get("step"));
      requireSame(state, "batch", "--batch", config.batch());
      requireSame(state, "seq_len", "--seq-len", config.seqLen());
      requireSame(state, "seed", "--seed", config.seed());
      requireSame(state, "total_steps", "--steps/--flops (total steps)", totalSteps);
      requireSame(state, "warmup", "--warmup (warmup steps)", warmup);
      requireSameNumber(state, "lr", "--lr", config.lr());
      requireSameNumber(state, "min_lr", "--min-lr", config.minLr());
      if (state.get("family_options") instanceof Map<?, ?> stored
          && !new java.util.TreeMap<>(stored).equals(ft.options())) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint was trained with --option "
                + stored
                + " but this run has "
                + ft.options()
                + "; resume with the same options");
      }
      if (state.get("teacher_refresh") != null) {
        requireSame(state, "teacher_refresh", "--steps-per-round", ft.teacherRefresh());
      }
      Object storedObjective = state.get("objective");
      if (storedObjective != null && !storedObjective.equals(objectiveName)) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint was trained with --objective "
                + storedObjective
                + " but this run has --objective "
                + objectiveName
                + "; resume with the same options");
      }
      if (state.get("loss_trace") instanceof List<?> stored && stored.size() == startStep) {
        for (Object o : stored) {
          trace.add(o instanceof Number n ? n.doubleValue() : Double.NaN);
        }
      } else {
        traceStart = startStep; // a checkpoint that did not record the earlier losses
      }
      if (state.get("seconds") instanceof Number n) {
        priorSeconds = n.doubleValue();
      }
    }
    long endStep = config.stopAfter() > 0 ? Math.min(totalSteps, config.stopAfter()) : totalSteps;
    if (startStep >= totalSteps) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + ": the run is already finished: "
              + startStep
              + "/"
              + totalSteps
              + " steps; nothing to resume");
    }
    if (startStep >= endStep) {
      throw new InvalidInputException(
          "--stop-after "
              + config.stopAfter()
              + ": the checkpoint is already at step "
              + startStep
              + "; give a later step (the run plans "
              + totalSteps
              + ")");
    }
    createOut();
    long tokensPerStep = (long) config.batch() * config.seqLen();
    ValidationResult val;
    double seconds;
    try (NDManager root = NDManager.newBaseManager(engine.defaultDevice(), engine.getEngineName());
        DitModel model =
            resumed != null
                ? DitModel.fromWeights(root, resumed.weights())
                : init != null
                    ? DitModel.fromWeights(root, init.weights())
                    : DitModel.create(root, shape, config.seed());
        DitModel teacher = ft.hasTeacher() ? DitModel.frozen(root, model.toWeights()) : null) {
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
        trainStep.teacher(teacher);
        Saver saver = new Saver(model, adam, ema, tokenizer, family, objectiveName, totalSteps);
        saver.warmup = warmup;
        saver.trace = trace;
        for (long step = startStep; step < endStep; step++) {
          Rng rng = new Rng(config.seed() * SEED_STRIDE + step);
          engine.setRandomSeed((int) (config.seed() * SEED_STRIDE + step));
          if (teacher != null && step % ft.teacherRefresh() == 0 && step > startStep) {
            teacher.loadWeights(model.toWeights()); // a new distillation round
          }
          TokenBatch x0 = data.trainBatch(step, config.batch());
          TrainStep.Result r =
              trainStep.run(model, root, x0, rng, step, totalSteps, nanAtStep.test(step));
          if (!Double.isFinite(r.loss())) {
            throw diverged(step, "loss is " + r.loss(), lastCheckpoint, x0);
          }
          if (!Double.isFinite(r.gradNorm())) {
            throw diverged(
                step,
                "gradient norm is "
                    + r.gradNorm()
                    + " (first non-finite gradient: "
                    + r.firstNonFinite()
                    + ")",
                lastCheckpoint,
                x0);
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
            saver.save(done, priorSeconds + (System.nanoTime() - t0) / 1e9);
            lastCheckpoint = done;
          }
        }
        seconds = (System.nanoTime() - t0) / 1e9;
        saver.save(endStep, priorSeconds + seconds);
        val = validate(family, model, ema, root, data);
        progress.info(
            String.format(
                "validation: %.4f nats/token, %.4f bits/token, ppl %.3f over %d tokens",
                val.natsPerToken(), val.bitsPerToken(), val.perplexity(), val.tokens()));
      }
    }
    long segmentSteps = endStep - startStep;
    long tokens = endStep * tokensPerStep;
    double lastLoss = trace.isEmpty() ? Double.NaN : trace.get(trace.size() - 1);
    TrainReport report =
        new TrainReport(
            family.name(),
            objectiveName,
            modelName(),
            tokenizer.spec(),
            tokenizer.vocabSize(),
            DitLayout.totalParams(shape),
            DitLayout.nonEmbeddingParams(shape),
            nEff,
            config.seqLen(),
            config.batch(),
            config.accumulation(),
            endStep,
            startStep,
            endStep,
            segmentSteps,
            tokens,
            FlopsBudget.spent(endStep, nEff, config.batch(), config.seqLen()),
            config.flops() > 0 ? config.flops() : null,
            priorSeconds + seconds,
            seconds,
            finiteOrNull(seconds > 0 ? segmentSteps * tokensPerStep / seconds : Double.NaN),
            config.threads() > 0 ? config.threads() : engineThreads(),
            finiteOrNull(lastLoss),
            val.natsPerToken(),
            val.bitsPerToken(),
            val.perplexity(),
            val.tokens(),
            val.batches(),
            config.ema() > 0,
            config.checkpointDir().toString(),
            traceStart,
            trace);
    writeReport(report);
    return report;
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** The model option as given: the --model-config path, else the preset name. */
  private String modelName() {
    return config.modelConfig() != null ? config.modelConfig().toString() : config.preset();
  }

  /** The model option as the user would type it, e.g. {@code --preset xs}. */
  private String modelOption() {
    return config.modelConfig() != null
        ? "--model-config " + config.modelConfig()
        : "--preset " + config.preset();
  }

  private static String describe(DitConfig c) {
    return "hidden "
        + c.hidden()
        + ", "
        + c.blocks()
        + " blocks, "
        + c.heads()
        + " heads, cond "
        + c.condDim()
        + ", vocab "
        + c.vocabSize();
  }

  /**
   * The checkpoint folder that {@code --resume} names: the folder itself, or {@code DIR/checkpoint}
   * when DIR is a run's output folder.
   */
  static Path resumeCheckpoint(Path resume) {
    if (!Files.exists(resume.resolve(Checkpoint.CONFIG_FILE))) {
      Path inner = resume.resolve("checkpoint");
      if (Files.isDirectory(inner) || Files.isDirectory(resume.resolve(".checkpoint.prev"))) {
        return inner;
      }
    }
    return resume;
  }

  /**
   * Checks {@code --out} before anything is trained: it must be (or be creatable as) a folder and
   * must not hold another run, unless that run is the one being resumed.
   */
  private void checkOut(Path resumeDir) {
    Path out = config.out();
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new InvalidInputException(
          "--out " + out + " is a file; expected a folder for checkpoint/ and train-report.json");
    }
    for (Path p = out.toAbsolutePath().normalize().getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new InvalidInputException(
              "--out " + out + ": " + p + " is a file, not a folder; choose another --out");
        }
        break;
      }
    }
    RunFolders.refuseInsideRun(out);
    boolean holdsRun =
        Files.exists(config.checkpointDir(), LinkOption.NOFOLLOW_LINKS)
            || Files.exists(out.resolve(".checkpoint.prev"), LinkOption.NOFOLLOW_LINKS)
            || Files.exists(config.reportFile(), LinkOption.NOFOLLOW_LINKS);
    if (!holdsRun) {
      return;
    }
    if (resumeDir == null) {
      throw new InvalidInputException(
          out
              + " already holds a training run; use --resume "
              + out
              + " to continue it or choose another --out");
    }
    if (!sameDir(resumeDir, config.checkpointDir())) {
      throw new InvalidInputException(
          "--out "
              + out
              + " already holds another training run than --resume "
              + config.resume()
              + "; choose another --out");
    }
  }

  private static boolean sameDir(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  /** Creates {@code --out} (after the options were checked, before training). */
  private void createOut() {
    Path out = config.out();
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      String why =
          e instanceof java.nio.file.AccessDeniedException
              ? "permission denied"
              : e instanceof java.nio.file.FileAlreadyExistsException
                  ? "a file is in the way"
                  : e instanceof java.nio.file.NoSuchFileException
                      ? "cannot create its parent folder"
                      : e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                          ? f.getReason()
                          : e.getClass().getSimpleName();
      throw new InvalidInputException("--out " + out + ": cannot create the folder (" + why + ")");
    }
    if (!Files.isWritable(out)) {
      throw new InvalidInputException("--out " + out + ": the folder is not writable");
    }
  }

  /**
   * Refuses a resume whose --preset/--model-config or --tokenizer differs from the checkpoint's.
   */
  private void requireSameModelAndTokenizer(Checkpoint.Loaded resumed) {
    Map<String, Object> state = resumed.trainingState();
    Object storedPreset = state.get("preset");
    Object storedModelConfig = state.get("model_config");
    if (storedPreset != null || storedModelConfig != null) {
      String stored =
          storedModelConfig != null
              ? "--model-config " + storedModelConfig
              : "--preset " + storedPreset;
      if (!stored.equals(modelOption())) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint was trained with "
                + stored
                + " but this run has "
                + modelOption()
                + "; resume with the same options");
      }
    }
    Object storedTokenizer = state.get("tokenizer");
    if (storedTokenizer == null && resumed.tokenizerSpec().indexOf(':') < 0) {
      storedTokenizer = resumed.tokenizerSpec(); // older checkpoints: plain specs only
    }
    if (storedTokenizer != null && !storedTokenizer.equals(config.tokenizer())) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + ": the checkpoint was trained with --tokenizer "
              + storedTokenizer
              + " but this run has --tokenizer "
              + config.tokenizer()
              + "; resume with the same options");
    }
  }

  /** Writes the checkpoint with the training state of the current step. */
  private final class Saver {
    private final DitModel model;
    private final AdamW adam;
    private final Ema ema;
    private final Tokenizer tokenizer;
    private final DiffusionFamily family;
    private final String objectiveName;
    private final long totalSteps;
    long warmup;
    List<Double> trace = List.of();

    Saver(
        DitModel model,
        AdamW adam,
        Ema ema,
        Tokenizer tokenizer,
        DiffusionFamily family,
        String objectiveName,
        long totalSteps) {
      this.model = model;
      this.adam = adam;
      this.ema = ema;
      this.tokenizer = tokenizer;
      this.family = family;
      this.objectiveName = objectiveName;
      this.totalSteps = totalSteps;
    }

    void save(long step, double seconds) {
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
      state.put("preset", config.modelConfig() != null ? null : config.preset());
      state.put(
          "model_config", config.modelConfig() != null ? config.modelConfig().toString() : null);
      state.put("tokenizer", config.tokenizer());
      state.put("lr", config.lr());
      state.put("min_lr", config.minLr());
      state.put("warmup", warmup);
      state.put("batch", config.batch());
      state.put("seq_len", config.seqLen());
      state.put("seconds", seconds);
      state.put("last_loss", trace.isEmpty() ? null : trace.get(trace.size() - 1));
      state.put("loss_trace", new ArrayList<>(trace));
      state.put("family_options", config.familyTraining().options());
      state.put("teacher_refresh", config.familyTraining().teacherRefresh());
      Path dir = config.checkpointDir();
      boolean hadPrevious = Files.isDirectory(dir);
      try {
        Checkpoint.save(dir, model.toWeights(), opt, state, tokenizer, family.name());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot write the checkpoint "
                + dir
                + (hadPrevious ? " (the previous one is kept)" : "")
                + ": "
                + e.getMessage(),
            e);
      }
    }
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

  /**
   * The checkpoint of {@code --init-from} (weights and tokenizer to start from, fresh optimizer),
   * or null when none is given.
   */
  private Checkpoint.Loaded initCheckpoint(DiffusionFamily family) {
    Path from = config.familyTraining().initFrom();
    if (from == null) {
      return null;
    }
    Checkpoint.Loaded init = loadCheckpoint(resumeCheckpoint(from));
    if (!init.family().equals(family.name())) {
      throw new InvalidInputException(
          "--init-from "
              + from
              + ": checkpoint is family '"
              + init.family()
              + "', not '"
              + family.name()
              + "'");
    }
    return init;
  }

  private static Checkpoint.Loaded loadCheckpoint(Path dir) {
    try {
      return Checkpoint.load(dir);
    } catch (IOException e) {
      throw new InvalidInputException(
          "--resume " + dir + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private TrainingDivergedException diverged(
      long step, String what, long lastCheckpoint, TokenBatch x0) {
    Path ck = config.checkpointDir();
    String keep =
        Files.isDirectory(ck)
            ? "the last good checkpoint (step " + lastCheckpoint + ") is kept in " + ck
            : "no checkpoint was written yet";
    String batchNote;
    try {
      batchNote = "; batch saved to " + DivergedBatch.write(config, step, what, x0);
    } catch (IOException e) {
      batchNote = "; could not save the batch (" + e.getMessage() + ")";
    }
    return new TrainingDivergedException(
        "training diverged at step " + (step + 1) + ": " + what + "; stopped; " + keep + batchNote);
  }

  private void writeReport(TrainReport report) {
    Path target = config.reportFile();
    Path tmp = null;
    try {
      Files.createDirectories(config.out());
      // not Files.createTempFile: that makes the file 0600; this one follows the umask
      tmp =
          config
              .out()
              .resolve(
                  ".train-report.json."
                      + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                      + ".tmp");
      try (OutputStream os =
          Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        JSON.writeValue(os, report);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
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

  private void requireSame(Map<String, Object> state, String key, String option, long value) {
    Object stored = state.get(key);
    if (stored != null && asLong(stored) != value) {
      throw mismatch(key, option, stored, value);
    }
  }

  /** Like {@link #requireSame} for real numbers (exact: JSON keeps doubles bit for bit). */
  private void requireSameNumber(
      Map<String, Object> state, String key, String option, double value) {
    Object stored = state.get(key);
    if (stored instanceof Number n && Double.compare(n.doubleValue(), value) != 0) {
      throw mismatch(key, option, stored, value);
    }
  }

  private InvalidInputException mismatch(String key, String option, Object stored, Object value) {
    return new InvalidInputException(
        "--resume "
            + config.resume()
            + ": the checkpoint was trained with "
            + option
            + " = "
            + stored
            + " ("
            + key
            + ") but this run has "
            + value
            + "; resume with the same options");
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
