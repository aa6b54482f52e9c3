package dev.dllm.trainer;

import dev.dllm.api.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stops a run whose loss or gradient norm became NaN or infinite: the message names the step and
 * what went wrong, says whether a good checkpoint is kept, and where the step's batch was saved
 * ({@link DivergedBatch}) so it can be replayed.
 */
final class Divergence {
  private Divergence() {}

  /**
   * Throws when the result of {@code step} is not finite.
   *
   * @param step the 0-based step
   * @param lastCheckpoint the step of the last checkpoint written (or the start step)
   * @param x0 the step's clean batch {@code [B, L]}
   * @throws TrainingDivergedException when the loss or the gradient norm is NaN or infinite
   */
  static void check(
      TrainConfig config, long step, TrainStep.Result r, long lastCheckpoint, TokenBatch x0) {
    if (!Double.isFinite(r.loss())) {
      throw diverged(config, step, "loss is " + r.loss(), lastCheckpoint, x0);
    }
    if (!Double.isFinite(r.gradNorm())) {
      throw diverged(
          config,
          step,
          "gradient norm is "
              + r.gradNorm()
              + " (first non-finite gradient: "
              + r.firstNonFinite()
              + ")",
          lastCheckpoint,
          x0);
    }
  }

  private static TrainingDivergedException diverged(
      TrainConfig config, long step, String what, long lastCheckpoint, TokenBatch x0) {
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
}
