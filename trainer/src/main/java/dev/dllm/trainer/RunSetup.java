package dev.dllm.trainer;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.data.CorpusData;
import dev.dllm.trainer.data.SftData;
import dev.dllm.trainer.data.TrainingData;
import dev.dllm.trainer.optim.WarmupCosineLr;
import java.nio.file.Path;

/**
 * Everything a run settles before the first step: the configured family and its objective, the
 * checkpoint resumed ({@code --resume}) or started from ({@code --init-from}), the data, the model
 * shape, the length (from {@code --flops} or {@code --steps}), the learning-rate schedule and the
 * step range of this invocation. Options are checked in the order the user would fix them; nothing
 * is written.
 *
 * @param family the family configured with the run's {@code --option}s
 * @param objective the family's DJL objective
 * @param objectiveName the objective used ({@code --objective} or the family default)
 * @param resumed the checkpoint continued, or null
 * @param init the checkpoint whose weights the run starts from ({@code --init-from}), or null
 * @param data training and validation batches, and the tokenizer
 * @param shape the model shape (the checkpoint's when resuming or starting from one)
 * @param totalSteps optimizer steps of the whole run
 * @param warmup warmup steps (at most {@code totalSteps})
 * @param schedule learning rate of every step
 * @param start where this invocation starts: step, earlier losses and seconds
 * @param endStep the step this invocation stops at ({@code --stop-after}, else {@code totalSteps})
 */
record RunSetup(
    DiffusionFamily family,
    TrainingObjective<NDArray> objective,
    String objectiveName,
    Checkpoint.Loaded resumed,
    Checkpoint.Loaded init,
    TrainingData data,
    DitConfig shape,
    long totalSteps,
    long warmup,
    WarmupCosineLr schedule,
    ResumeState start,
    long endStep) {

  /**
   * Resolves and checks everything a run needs.
   *
   * @param resumeDir the checkpoint folder of {@code --resume}, or null
   * @throws InvalidInputException for an unknown family/objective/option, a bad checkpoint, a
   *     resume with other options, a model that does not fit memory or an empty step range
   */
  static RunSetup prepare(TrainConfig config, Path resumeDir) {
    FamilyTraining ft = config.familyTraining();
    DiffusionFamily family = FamilyRegistry.load().get(config.family()).configure(ft.options());
    TrainingObjective<NDArray> objective = Objectives.forRun(family, ft);
    String objectiveName = Objectives.resolve(objective, config.objective());
    Checkpoint.Loaded resumed = resumeDir != null ? RunCheckpoints.load(resumeDir) : null;
    Checkpoint.Loaded init = resumed == null ? RunCheckpoints.init(config, family) : null;
    if (resumed != null) {
      ResumeState.requireSameRun(config, resumed, family);
      requireSameKind(config, resumed);
    }
    Tokenizer fromCheckpoint =
        resumed != null ? resumed.tokenizer() : init != null ? init.tokenizer() : null;
    TrainingData data;
    if (config.sft() != null) {
      if (fromCheckpoint == null) {
        throw new InvalidInputException(
            "fine-tuning needs --init-from CKPT: the tokenizer and model come from a checkpoint");
      }
      SftOptions sft = config.sft();
      data =
          SftData.load(
              config.data(),
              sft.valData(),
              sft.valFraction(),
              sft.maxSkipPercent(),
              fromCheckpoint,
              config.seqLen(),
              config.seed());
    } else {
      data =
          CorpusData.load(
              config.data(),
              fromCheckpoint,
              config.tokenizer(),
              config.seqLen(),
              BlockMode.parse(config.mode()),
              dev.dllm.data.corpus.Newlines.parse(config.newlines()),
              config.seed());
    }
    DitConfig shape = ModelShape.resolve(config, family, data.tokenizer(), init, resumed);
    MemoryBudget.check(config, shape, data.validSequences()); // before anything is allocated
    long totalSteps =
        config.flops() > 0
            ? FlopsBudget.steps(config.flops(), shape.nEff(), config.batch(), config.seqLen())
            : config.steps();
    long warmup =
        Math.min(
            config.warmup() >= 0 ? config.warmup() : WarmupCosineLr.defaultWarmup(totalSteps),
            totalSteps);
    WarmupCosineLr schedule = new WarmupCosineLr(config.lr(), config.minLr(), warmup, totalSteps);
    ResumeState start =
        resumed != null
            ? ResumeState.of(config, resumed, totalSteps, warmup, objectiveName)
            : ResumeState.fresh();
    long endStep = config.stopAfter() > 0 ? Math.min(totalSteps, config.stopAfter()) : totalSteps;
    requireStepsLeft(config, start.startStep(), totalSteps, endStep);
    long round = config.familyTraining().teacherRefresh();
    if (round > 0 && endStep < totalSteps && endStep % round != 0) {
      // the frozen teacher of a round is not checkpointed: a resume mid-round would refresh it
      // from the student at the resumed step, and the rest of the round would differ
      throw new InvalidInputException(
          "--stop-after "
              + config.stopAfter()
              + " stops inside a teacher round of "
              + round
              + " steps (--steps-per-round), which a resume cannot continue exactly; give a"
              + " multiple of "
              + round);
    }
    return new RunSetup(
        family,
        objective,
        objectiveName,
        resumed,
        init,
        data,
        shape,
        totalSteps,
        warmup,
        schedule,
        start,
        endStep);
  }

  /**
   * Refuses to continue a fine-tuning run as a pre-training one (its data is a JSONL file of pairs,
   * not a corpus) and the other way round.
   */
  private static void requireSameKind(TrainConfig config, Checkpoint.Loaded resumed) {
    boolean wasSft =
        resumed.trainingState().get(StoredRunConfig.KEY) instanceof java.util.Map<?, ?> m
            && m.get("sft") != null;
    if (wasSft != (config.sft() != null)) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + (wasSft
                  ? ": the run is a fine-tuning; continue it with dllm finetune --resume"
                  : ": the run is a pre-training; continue it with dllm train --resume"));
    }
  }

  /** Refuses a resume of a finished run and a {@code --stop-after} at or before the start. */
  private static void requireStepsLeft(
      TrainConfig config, long startStep, long totalSteps, long endStep) {
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
  }

  /** This setup training through {@code wrap(objective)} (tests). */
  RunSetup withObjective(java.util.function.UnaryOperator<TrainingObjective<NDArray>> wrap) {
    return new RunSetup(
        family,
        wrap.apply(objective),
        objectiveName,
        resumed,
        init,
        data,
        shape,
        totalSteps,
        warmup,
        schedule,
        start,
        endStep);
  }

  /** The run's tokenizer (the data's). */
  Tokenizer tokenizer() {
    return data.tokenizer();
  }

  /** The step this invocation starts at (0, or the resumed checkpoint's step). */
  long startStep() {
    return start.startStep();
  }

  /** Training tokens per optimizer step, B · L. */
  static long tokensPerStep(TrainConfig config) {
    return (long) config.batch() * config.seqLen();
  }
}
