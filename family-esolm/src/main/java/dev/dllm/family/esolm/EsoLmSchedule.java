package dev.dllm.family.esolm;

import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.schedule.NoiseSchedule;

/**
 * The Eso-LM schedule alpha_t = alpha_0 · (1 − (1 − ε) t), ε = 1e-3, with alpha_0 ∈ [0, 1] (spec
 * §4.1; {@code LogLinear(alpha_0)} in [SD] trainer_base.py). alpha_0 = 1 is the MDLM schedule (the
 * same numbers as {@link LogLinearSchedule}); alpha_0 = 0 is pure AR (alpha_t = 0: every token is
 * masked at every t, and the diffusion part of the bound vanishes).
 *
 * <p>The ELBO weight −alpha'_t / (1 − alpha_t) = alpha_0 (1 − ε) / (1 − alpha_0 + alpha_0 (1 − ε)
 * t) is 1/t for alpha_0 = 1 and 0 for alpha_0 = 0.
 */
public final class EsoLmSchedule implements NoiseSchedule {
  private final double alpha0;
  private final LogLinearSchedule positive;

  /**
   * @throws IllegalArgumentException unless 0 &lt;= alpha_0 &lt;= 1
   */
  public EsoLmSchedule(double alpha0) {
    if (!(alpha0 >= 0 && alpha0 <= 1)) {
      throw new IllegalArgumentException("alpha_0 must be in [0, 1], got " + alpha0);
    }
    this.alpha0 = alpha0;
    this.positive = alpha0 > 0 ? new LogLinearSchedule(alpha0) : null;
  }

  /** alpha_0, the fraction of tokens still clean at t = 0. */
  public double alpha0() {
    return alpha0;
  }

  @Override
  public String name() {
    return "log-linear";
  }

  @Override
  public double alpha(double t) {
    check(t);
    return positive == null ? 0 : positive.alpha(t);
  }

  @Override
  public double alphaDerivative(double t) {
    check(t);
    return positive == null ? 0 : positive.alphaDerivative(t);
  }

  /** sigma = −log alpha_t; +∞ for alpha_0 = 0 (Eso-LM is not time-conditioned, sigma is 0). */
  @Override
  public double sigma(double t) {
    check(t);
    return positive == null ? Double.POSITIVE_INFINITY : positive.sigma(t);
  }

  @Override
  public double elboWeight(double t) {
    check(t);
    return positive == null ? 0 : positive.elboWeight(t);
  }

  private static void check(double t) {
    if (!(t >= 0 && t <= 1)) {
      throw new IllegalArgumentException("t must be in [0, 1], got " + t);
    }
  }

  @Override
  public String toString() {
    return "log-linear(alpha_0=" + alpha0 + ", eps=" + LogLinearSchedule.EPSILON + ")";
  }
}
