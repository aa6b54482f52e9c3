package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.sample.Rng;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.optim.AdamW;
import dev.dllm.trainer.optim.Ema;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * The steps of one invocation, from {@link RunSetup#startStep()} to {@link RunSetup#endStep()}: the
 * model (fresh, resumed or from {@code --init-from}), AdamW and the optional EMA (restored when
 * resuming) and teacher; then per step the seeds of (seed, step), the teacher refresh of a new
 * round, the {@link TrainStep}, the divergence check ({@link Divergence}), the optimizer and EMA
 * updates and the progress line; every {@code --val-every} steps a validation and every {@code
 * --checkpoint-every} steps a checkpoint; at the end a checkpoint and the final validation. Each
 * validation shows its progress in batches through the run's {@link ProgressReporter} (the step bar
 * pauses meanwhile) and its time is kept apart from the training time.
 */
final class TrainingLoop {
  /**
   * What the invocation measured.
   *
   * @param val the final validation
   * @param seconds training wall clock of this invocation (steps and checkpoints), validation
   *     excluded
   * @param validationSeconds wall clock of this invocation's validations (periodic and final)
   * @param finalValidationSeconds wall clock of the final validation
   */
  record Outcome(
      ValidationResult val,
      double seconds,
      double validationSeconds,
      double finalValidationSeconds) {}

  private final TrainConfig config;
  private final RunSetup setup;
  private final PrintStream log;
  private final LongPredicate nanAtStep;
  private final ProgressReporter phases;

  /**
   * @param log where progress lines go
   * @param nanAtStep steps whose loss is made NaN (tests)
   * @param phases shows the progress of each validation
   */
  TrainingLoop(
      TrainConfig config,
      RunSetup setup,
      PrintStream log,
      LongPredicate nanAtStep,
      ProgressReporter phases) {
    this.config = config;
    this.setup = setup;
    this.log = log;
    this.nanAtStep = nanAtStep;
    this.phases = phases;
  }

  /**
   * Trains, checkpoints and validates; frees every array before returning.
   *
   * @throws TrainingDivergedException when a step's loss or gradient norm is not finite
   */
  Outcome run(Engine engine) {
    try (NDManager root = NDManager.newBaseManager(engine.defaultDevice(), engine.getEngineName());
        DitModel model = newModel(root);
        DitModel teacher =
            config.familyTraining().hasTeacher()
                ? DitModel.frozen(root, model.toWeights())
                : null) {
      Map<String, NDArray> params = model.parameters();
      try (AdamW adam = new AdamW(root, config.adamW(), params);
          Ema ema = config.ema() > 0 ? new Ema(root, config.ema(), params) : null;
          ProgressLog progress =
              new ProgressLog(
                  log,
                  setup.startStep(),
                  setup.endStep(),
                  config.logEvery(),
                  System.console() != null)) {
        restoreOptimizer(adam, ema);
        model.setTraining(config.dropout() > 0);
        return new Steps(engine, root, model, teacher, adam, ema, progress).run();
      }
    }
  }

  private DitModel newModel(NDManager root) {
    Checkpoint.Loaded from = setup.resumed() != null ? setup.resumed() : setup.init();
    return from != null
        ? DitModel.fromWeights(root, from.weights())
        : DitModel.create(root, setup.shape(), config.seed());
  }

  /** The AdamW and EMA state of a resumed checkpoint (nothing for a fresh run). */
  private void restoreOptimizer(AdamW adam, Ema ema) {
    Checkpoint.Loaded resumed = setup.resumed();
    if (resumed == null) {
      return;
    }
    Map<String, Object> state = resumed.trainingState();
    adam.load(resumed.optimizerState(), ResumeState.asLong(state.get("adam_step")));
    if (ema != null) {
      ema.load(resumed.optimizerState(), ResumeState.asLong(state.get("ema_updates")));
    }
  }

  /** The step loop over the open model, optimizer and progress log. */
  private final class Steps {
    private final Engine engine;
    private final NDManager root;
    private final DitModel model;

    /** The first round's teacher (closed by {@link TrainingLoop#run}). */
    private final DitModel teacher;

    /** This round's teacher: {@link #teacher}, or a later round's copy that {@link #run} frees. */
    private DitModel roundTeacher;

    private final Map<String, NDArray> params;
    private final AdamW adam;
    private final Ema ema;
    private final ProgressLog progress;
    private final List<Double> trace = setup.start().trace();
    private final long t0 = System.nanoTime();
    private final TrainStep trainStep;
    private final CheckpointSaver saver;
    private long lastCheckpoint = setup.startStep();
    private long validationNanos;

    Steps(
        Engine engine,
        NDManager root,
        DitModel model,
        DitModel teacher,
        AdamW adam,
        Ema ema,
        ProgressLog progress) {
      this.engine = engine;
      this.root = root;
      this.model = model;
      this.teacher = teacher;
      this.roundTeacher = teacher;
      this.params = model.parameters();
      this.adam = adam;
      this.ema = ema;
      this.progress = progress;
      this.trainStep =
          new TrainStep(
              setup.family(),
              setup.objective(),
              setup.objectiveName(),
              setup.tokenizer().specials(),
              config.accumulation(),
              config.clipNorm());
      trainStep.teacher(teacher);
      this.saver = new CheckpointSaver(config, setup, model, adam, ema);
    }

    Outcome run() {
      try {
        for (long step = setup.startStep(); step < setup.endStep(); step++) {
          step(step);
          afterStep(step + 1);
        }
      } finally {
        if (roundTeacher != teacher) {
          roundTeacher.close();
        }
      }
      double seconds = trainingSeconds();
      saver.save(setup.endStep(), setup.start().priorSeconds() + seconds);
      long before = validationNanos;
      ValidationResult val = validate("final validation");
      double finalSeconds = (validationNanos - before) / 1e9;
      progress.info(
          String.format(
              "validation: %.4f nats/token, %.4f bits/token, ppl %.3f over %d tokens (%.1f s)",
              val.natsPerToken(),
              val.bitsPerToken(),
              val.perplexity(),
              val.tokens(),
              finalSeconds));
      return new Outcome(val, seconds, validationNanos / 1e9, finalSeconds);
    }

    /** Wall clock since the first step of this invocation, validations excluded. */
    private double trainingSeconds() {
      return (System.nanoTime() - t0 - validationNanos) / 1e9;
    }

    /** One optimizer step; its draws come from (seed, step) only. */
    private void step(long step) {
      Rng rng = new Rng(config.seed() * Trainer.SEED_STRIDE + step);
      engine.setRandomSeed((int) (config.seed() * Trainer.SEED_STRIDE + step));
      if (teacher != null
          && step % config.familyTraining().teacherRefresh() == 0
          && step > setup.startStep()) {
        newRound();
      }
      TokenBatch x0 = setup.data().trainBatch(step, config.batch());
      boolean[] given = setup.data().trainGiven(step, config.batch()); // null unless fine-tuning
      TrainStep.Result r =
          trainStep.run(
              model, root, x0, given, rng, step, setup.totalSteps(), nanAtStep.test(step));
      Divergence.check(config, step, r, lastCheckpoint, x0);
      trace.add(r.loss());
      adam.step(params, setup.schedule().at(step));
      if (ema != null) {
        ema.update(params);
      }
      progress.step(
          step,
          trace.get(trace.size() - 1),
          setup.schedule().at(step),
          RunSetup.tokensPerStep(config));
    }

    /**
     * A new distillation round: a fresh frozen copy of the student replaces the teacher. A copy,
     * not {@code DitModel#loadWeights}: DJL's {@code NDArray.set} makes PyTorch print
     * "AutoNonVariableTypeMode is deprecated" on stderr.
     */
    private void newRound() {
      DitModel next = DitModel.frozen(root, model.toWeights());
      if (roundTeacher != teacher) {
        roundTeacher.close();
      }
      roundTeacher = next;
      trainStep.teacher(next);
    }

    /** The periodic validation and checkpoint after {@code done} steps (not after the last). */
    private void afterStep(long done) {
      long endStep = setup.endStep();
      if (config.valEvery() > 0 && done % config.valEvery() == 0 && done < endStep) {
        ValidationResult v = validate("validation at step " + done);
        progress.info(
            String.format(
                "step %d: val %.4f nats/token (%.4f bits, ppl %.3f) over %d tokens",
                done, v.natsPerToken(), v.bitsPerToken(), v.perplexity(), v.tokens()));
      }
      if (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0 && done < endStep) {
        saver.save(done, setup.start().priorSeconds() + trainingSeconds());
        lastCheckpoint = done;
      }
    }

    /** One validation, its progress shown as {@code phase} while the step bar pauses. */
    private ValidationResult validate(String phase) {
      long start = System.nanoTime();
      progress.pause();
      try {
        return Validator.ofModel(
            config, setup.family(), model, ema, root, setup.data(), phases, phase);
      } finally {
        progress.resume();
        validationNanos += System.nanoTime() - start;
      }
    }
  }
}
