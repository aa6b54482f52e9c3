package dev.dllm.trainer;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where an invocation starts: step 0 of a fresh run, or the step of a resumed checkpoint with the
 * losses and seconds it recorded. Building it from a checkpoint checks that the run is continued
 * with the same options: family, objective, preset/model config, tokenizer, seq_len, batch, seed,
 * length (steps or FLOPs), warmup, lr, min_lr, family options and teacher rounds.
 *
 * @param startStep the first step of this invocation
 * @param trace training losses (nats/token) of the steps before {@code startStep} that the
 *     checkpoint recorded; this invocation appends to it
 * @param traceStart steps before the first entry of {@code trace} (0 unless the checkpoint did not
 *     record the earlier losses)
 * @param priorSeconds training wall clock of the earlier invocations
 */
record ResumeState(long startStep, List<Double> trace, long traceStart, double priorSeconds) {

  /** A run from step 0. */
  static ResumeState fresh() {
    return new ResumeState(0, new ArrayList<>(), 0, 0);
  }

  /**
   * The start of a resumed run, after checking the checkpoint's training state against this run's
   * options.
   *
   * @param totalSteps the steps this run plans
   * @param warmup this run's warmup steps
   * @throws InvalidInputException naming the option that differs from the checkpoint's
   */
  static ResumeState of(
      TrainConfig config,
      Checkpoint.Loaded resumed,
      long totalSteps,
      long warmup,
      String objectiveName) {
    FamilyTraining ft = config.familyTraining();
    Map<String, Object> state = resumed.trainingState();
    long startStep = asLong(state.get("step"));
    requireSame(config, state, "batch", "--batch", config.batch());
    requireSame(config, state, "seq_len", "--seq-len", config.seqLen());
    requireSame(config, state, "seed", "--seed", config.seed());
    requireSame(config, state, "total_steps", "--steps/--flops (total steps)", totalSteps);
    requireSame(config, state, "warmup", "--warmup (warmup steps)", warmup);
    requireSameNumber(config, state, "lr", "--lr", config.lr());
    requireSameNumber(config, state, "min_lr", "--min-lr", config.minLr());
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
      requireSame(config, state, "teacher_refresh", "--steps-per-round", ft.teacherRefresh());
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
    List<Double> trace = new ArrayList<>();
    long traceStart = 0;
    if (state.get("loss_trace") instanceof List<?> stored && stored.size() == startStep) {
      for (Object o : stored) {
        trace.add(o instanceof Number n ? n.doubleValue() : Double.NaN);
      }
    } else {
      traceStart = startStep; // a checkpoint that did not record the earlier losses
    }
    double priorSeconds = state.get("seconds") instanceof Number n ? n.doubleValue() : 0;
    return new ResumeState(startStep, trace, traceStart, priorSeconds);
  }

  /**
   * Refuses a resume of another family's checkpoint, or one whose --preset/--model-config or
   * --tokenizer differs from the checkpoint's.
   *
   * @throws InvalidInputException naming the option and both values
   */
  static void requireSameRun(
      TrainConfig config, Checkpoint.Loaded resumed, DiffusionFamily family) {
    if (!resumed.family().equals(family.name())) {
      throw new InvalidInputException(
          "--resume "
              + config.resume()
              + ": checkpoint is family '"
              + resumed.family()
              + "', not '"
              + family.name()
              + "'");
    }
    Map<String, Object> state = resumed.trainingState();
    Object storedPreset = state.get("preset");
    Object storedModelConfig = state.get("model_config");
    if (storedPreset != null || storedModelConfig != null) {
      String stored =
          storedModelConfig != null
              ? "--model-config " + storedModelConfig
              : "--preset " + storedPreset;
      if (!stored.equals(ModelShape.option(config))) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint was trained with "
                + stored
                + " but this run has "
                + ModelShape.option(config)
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

  private static void requireSame(
      TrainConfig config, Map<String, Object> state, String key, String option, long value) {
    Object stored = state.get(key);
    if (stored != null && asLong(stored) != value) {
      throw mismatch(config, key, option, stored, value);
    }
  }

  /** Like {@link #requireSame} for real numbers (exact: JSON keeps doubles bit for bit). */
  private static void requireSameNumber(
      TrainConfig config, Map<String, Object> state, String key, String option, double value) {
    Object stored = state.get(key);
    if (stored instanceof Number n && Double.compare(n.doubleValue(), value) != 0) {
      throw mismatch(config, key, option, stored, value);
    }
  }

  private static InvalidInputException mismatch(
      TrainConfig config, String key, String option, Object stored, Object value) {
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

  /**
   * A count from the checkpoint's training state (a JSON number, or a string of one).
   *
   * @throws InvalidInputException when it is neither
   */
  static long asLong(Object o) {
    if (o instanceof Number n) {
      return n.longValue();
    }
    if (o instanceof String s) {
      return Long.parseLong(s);
    }
    throw new InvalidInputException("checkpoint training state: expected a number, got " + o);
  }
}
