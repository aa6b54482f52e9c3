package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;

/**
 * Training length from a compute budget, as the paper counts it (spec §7.7, [SD] utils.py {@code
 * flops_to_max_steps}): C = 6 · N_eff · D with D the number of training tokens, attention excluded,
 * so
 *
 * <pre>
 *   steps = floor(C / (6 · N_eff · B · L))
 * </pre>
 *
 * with B the global batch (sequences per optimizer step) and L the sequence length.
 */
public final class FlopsBudget {
  private FlopsBudget() {}

  /** FLOPs of one optimizer step: 6 · N_eff · B · L. */
  public static double flopsPerStep(long nEff, int batch, int seqLen) {
    return 6.0 * nEff * batch * seqLen;
  }

  /**
   * Optimizer steps that fit in {@code flops}.
   *
   * @throws InvalidInputException when the budget is not positive or buys less than one step
   */
  public static long steps(double flops, long nEff, int batch, int seqLen) {
    if (!(flops > 0) || Double.isInfinite(flops)) {
      throw new InvalidInputException("--flops must be a positive number, got " + flops);
    }
    double perStep = flopsPerStep(nEff, batch, seqLen);
    long steps = (long) Math.floor(flops / perStep);
    if (steps < 1) {
      throw new InvalidInputException(
          String.format(
              "--flops %.3g buys no optimizer step: one step costs 6·N_eff·B·L = %.3g FLOPs"
                  + " (N_eff %d, B %d, L %d)",
              flops, perStep, nEff, batch, seqLen));
    }
    return steps;
  }

  /** FLOPs actually spent by {@code steps} steps: steps · 6 · N_eff · B · L. */
  public static double spent(long steps, long nEff, int batch, int seqLen) {
    return steps * flopsPerStep(nEff, batch, seqLen);
  }
}
