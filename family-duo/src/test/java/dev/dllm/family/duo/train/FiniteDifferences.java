package dev.dllm.family.duo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleFunction;

/** Gradient checks of the Duo losses against central differences of their float64 oracles. */
final class FiniteDifferences {
  private FiniteDifferences() {}

  /**
   * Asserts that {@code grad[k]} equals (f(values + h e_k) − f(values − h e_k)) / 2h with h = 2^-8
   * (exact in float32 when the values are multiples of 2^-10) for every {@code stride}-th logit,
   * within 2e-3 relative + 2e-5; that the mask logit of each position gets exactly 0; and that the
   * gradients are not all trivially small.
   *
   * @param values logits {@code [B, L, V]} row-major
   * @param grad the engine's d loss / d logit, same layout
   * @param loss the float64 oracle of the loss as a function of the logits
   */
  static void assertGradientMatches(
      float[] values,
      float[] grad,
      int stride,
      int vocab,
      int mask,
      ToDoubleFunction<float[]> loss) {
    float h = 1f / 256;
    double maxGrad = 0;
    for (int k = 0; k < values.length; k += stride) {
      float[] plus = values.clone();
      float[] minus = values.clone();
      plus[k] += h;
      minus[k] -= h;
      double fd = (loss.applyAsDouble(plus) - loss.applyAsDouble(minus)) / (2 * h);
      maxGrad = Math.max(maxGrad, Math.abs(fd));
      assertEquals(fd, grad[k], 2e-3 * Math.abs(fd) + 2e-5, "logit " + k);
      if (k % vocab == mask) {
        assertEquals(0f, grad[k], 0f, "the suppressed mask logit gets no gradient");
      }
    }
    assertTrue(maxGrad > 1e-3, "gradients are not trivially zero");
  }
}
