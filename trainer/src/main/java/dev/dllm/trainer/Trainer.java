package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.data.TrainingData;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.LongPredicate;
import java.util.function.UnaryOperator;

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
 *
 * <p>The parts of a run: {@link RunFolders} (the output folder), {@link RunSetup} (family,
 * objective, data, model shape, step range; with {@link ResumeState} for a resumed run), {@link
 * TrainingLoop} (the steps, with {@link CheckpointSaver}, {@link Divergence} and {@link Validator})
 * and {@link RunReport} (train-report.json).
 */
public final class Trainer {
  /** Multiplier that spreads (seed, step) pairs over distinct Rng seeds. */
  static final long SEED_STRIDE = 1_000_003L;

  private final TrainConfig config;
  private final PrintStream log;
  private LongPredicate nanAtStep = s -> false;
  private UnaryOperator<TrainingObjective<NDArray>> objectiveWrap = o -> o;
  private ProgressReporter phases;
  private String command = "dllm train";

  /** A trainer logging to {@code log}; validations show plain progress lines there. */
  public Trainer(TrainConfig config, PrintStream log) {
    this.config = config.validate();
    this.log = log;
    this.phases = ProgressReporter.lines(log);
  }

  /** Shows the progress of validations through {@code reporter} (a bar on a terminal). */
  public Trainer progress(ProgressReporter reporter) {
    this.phases = reporter;
    return this;
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

  /** Testing aid: trains through {@code wrap(objective)} (e.g. to record the batches it sees). */
  Trainer wrapObjective(UnaryOperator<TrainingObjective<NDArray>> wrap) {
    this.objectiveWrap = wrap;
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
    Path resumeDir =
        config.resume() != null ? RunCheckpoints.resumeCheckpoint(config.resume()) : null;
    RunFolders.checkPath(config.out());
    // one process per run folder: a second train, distill or --resume of a running run is refused
    try (OutputLock lock = OutputLock.acquire(config.out(), "out", command)) {
      RunFolders.checkOut(config, resumeDir);
      Engine engine = startEngine();
      RunSetup setup = RunSetup.prepare(config, resumeDir).withObjective(objectiveWrap);
      String split = setup.data().splitLine();
      if (split != null) {
        log.println(split);
      }
      RunFolders.createOut(config.out());
      TrainingLoop.Outcome outcome =
          new TrainingLoop(config, setup, log, nanAtStep, phases).run(engine);
      TrainReport report = RunReport.of(config, setup, outcome);
      RunReport.write(config, report);
      return report;
    }
  }

  /**
   * Names the command that holds the run folder's lock ({@link OutputLock}) for a second process to
   * print; default {@code dllm train}.
   */
  public Trainer command(String name) {
    this.command = name;
    return this;
  }

  /**
   * The PyTorch engine (loads the native library), with {@code --threads} applied and gradient
   * recording off on this thread: PyTorch's grad mode is per thread and DJL turns it off only on
   * the thread that loads the engine, so a run on any other thread (a Spark task) would otherwise
   * record the optimizer's in-place updates and fail ("a leaf Variable that requires grad is being
   * used in an in-place operation").
   */
  private Engine startEngine() {
    Engine engine = Engine.getEngine("PyTorch");
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    if (config.threads() > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(config.threads());
    }
    return engine;
  }
}
