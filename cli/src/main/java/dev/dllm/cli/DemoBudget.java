package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code dllm demo --minutes M}: the per-model FLOPs budget that makes the whole demo take about M
 * minutes on this machine. The rate is measured, not assumed: a short calibration run trains the
 * demo's AR model (same preset, L, B and threads) for {@link #calibrationSteps} steps, and its
 * report gives FLOPs per second of training wall clock (FLOPs = 6 · N_eff · tokens, as the budget
 * counts them). Then
 *
 * <pre>
 *   C = rate · (60 · M − elapsed − other − 4 · perRun) / 4
 * </pre>
 *
 * with {@code elapsed} the demo's time so far (tokenize, calibration), {@code other} the documented
 * estimate of the export, sample and eval stages ({@link #OTHER_SECONDS}, {@link
 * #OTHER_SECONDS_QUICK}) and {@code perRun} each training's fixed cost (model set-up, validation,
 * checkpoints; {@link #PER_RUN_SECONDS}). The AR rate stands for all four families: on 2 cores the
 * diffusion families train at 1.0–1.2 times AR's tokens/s (notes of issue 10), and the calibration
 * includes the first, slower steps, so the estimate errs towards finishing early. C is rounded down
 * to two significant digits and stored in {@code demo-options.json}, so a resumed demo keeps it.
 */
final class DemoBudget {
  /** Export (4 ×), sample and eval stages of the full demo on 2 cores, in seconds (estimate). */
  static final double OTHER_SECONDS = 180;

  /** The same for {@code --quick}. */
  static final double OTHER_SECONDS_QUICK = 30;

  /** The downstream stage of the full demo on 2 cores, in seconds (measured, issue 17 notes). */
  static final double DOWNSTREAM_SECONDS = 300;

  /** The same for {@code --quick}. */
  static final double DOWNSTREAM_SECONDS_QUICK = 60;

  /** Per training: model set-up, validation of the held-out split, checkpoints (estimate). */
  static final double PER_RUN_SECONDS = 15;

  /** Runs that share the time. */
  static final int RUNS = 4;

  private DemoBudget() {}

  /** Optimizer steps of the calibration run. */
  static int calibrationSteps(DemoOptions o) {
    return o.quick() ? 5 : 20;
  }

  /** The {@code dllm train} command line of the calibration run into {@code out}. */
  static String[] calibrationArgs(DemoOptions o, Path out) {
    List<String> args = new ArrayList<>(trainArgs(o, "ar", "ce", out));
    args.addAll(List.of("--steps", Integer.toString(calibrationSteps(o)), "--val-batches", "1"));
    return args.toArray(String[]::new);
  }

  /**
   * The options every demo training shares (family, objective, the demo's preset, char tokenizer,
   * L, B, lr, threads, output folder), without the budget: the calibration run and the four
   * trainings add theirs.
   */
  static List<String> trainArgs(DemoOptions o, String family, String objective, Path out) {
    return List.of(
        "train",
        "--family",
        family,
        "--objective",
        objective,
        "--preset",
        o.get("preset"),
        "--tokenizer",
        "char",
        "--seq-len",
        o.get("seq-len"),
        "--batch",
        o.get("batch"),
        "--lr",
        o.get("lr"),
        "--threads",
        o.get("threads"),
        "--out",
        out.toString());
  }

  /**
   * The per-model budget.
   *
   * @param calibration the calibration run's {@code train-report.json}
   * @param minutes the demo's target duration ({@code --minutes} as given)
   * @param elapsedSeconds what the demo has spent so far
   * @return FLOPs per model, at least one optimizer step's worth
   * @throws InvalidInputException when M minutes leave no time for one step of every model
   */
  static double flops(JsonNode calibration, String minutes, double elapsedSeconds, boolean quick) {
    return flops(calibration, minutes, elapsedSeconds, quick, false);
  }

  /**
   * {@link #flops(JsonNode, String, double, boolean)}, with the downstream stage's time ({@link
   * #DOWNSTREAM_SECONDS}) also kept out of the training time when {@code downstream}.
   */
  static double flops(
      JsonNode calibration,
      String minutes,
      double elapsedSeconds,
      boolean quick,
      boolean downstream) {
    double seconds = calibration.path("seconds").asDouble(0);
    double flops = calibration.path("flops").asDouble(0);
    long steps = calibration.path("steps").asLong(0);
    if (!(seconds > 0) || !(flops > 0) || steps < 1) {
      throw new StageFailedException(
          "the --minutes calibration run reported no time or FLOPs (seconds "
              + seconds
              + ", flops "
              + flops
              + ")");
    }
    double rate = flops / seconds;
    double perStep = flops / steps;
    double other =
        (quick ? OTHER_SECONDS_QUICK : OTHER_SECONDS)
            + (downstream ? (quick ? DOWNSTREAM_SECONDS_QUICK : DOWNSTREAM_SECONDS) : 0);
    double train =
        60 * CliOptions.parseNumber("minutes", minutes)
            - elapsedSeconds
            - other
            - RUNS * PER_RUN_SECONDS;
    double c = roundDown(rate * train / RUNS);
    if (!(train > 0) || c < perStep) {
      double need = (elapsedSeconds + other + RUNS * (PER_RUN_SECONDS + perStep / rate)) / 60;
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "--minutes %s leaves no time to train: measured %.3g FLOP/s, the other stages take"
                  + " about %.0f s; give --minutes %.1f or more",
              minutes,
              rate,
              elapsedSeconds + other + RUNS * PER_RUN_SECONDS,
              Math.ceil(need * 10) / 10));
    }
    return c;
  }

  /** One line: the measured rate and the budget {@code flops} ({@code c} FLOPs). */
  static String describe(JsonNode calibration, String flops, double c) {
    double seconds = calibration.path("seconds").asDouble();
    double rate = calibration.path("flops").asDouble() / seconds;
    return String.format(
        Locale.ROOT,
        "measured %.3g FLOP/s (%.0f tokens/s); budget %s FLOPs per model (about %.0f s each)",
        rate,
        calibration.path("tokens").asDouble() / seconds,
        flops,
        c / rate);
  }

  /** Rounds down to two significant digits (3.87e12 → 3.8e12). */
  static double roundDown(double c) {
    if (!(c > 0)) {
      return 0;
    }
    double scale = Math.pow(10, Math.floor(Math.log10(c)) - 1);
    return Math.floor(c / scale + 1e-9) * scale;
  }

  /** {@code 3.8e12}. */
  static String fmt(double c) {
    String s = String.format(Locale.ROOT, "%.1e", c).replace("e+", "e");
    return s.replaceAll("e0(\\d)", "e$1").replace(".0e", "e");
  }
}
