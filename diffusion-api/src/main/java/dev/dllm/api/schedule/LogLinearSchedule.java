package dev.dllm.api.schedule;

/**
 * The log-linear schedule alpha_t = alpha_0 · (1 − (1 − ε) t) with ε = 1e-3 (spec §1.3, {@code
 * LogLinear} in [SD] trainer_base.py). alpha_1 = alpha_0 · ε &gt; 0: the terminal state is not
 * fully masked.
 *
 * <p>dalpha/dt = −alpha_0 (1 − ε) is constant; sigma = −log alpha_t is computed with {@code log1p}
 * so it stays accurate near t = 0; the MDLM ELBO weight −alpha'_t / (1 − alpha_t) equals 1/t when
 * alpha_0 = 1. alpha_0 &lt; 1 is used by Eso-LM (spec §4.1).
 */
public final class LogLinearSchedule implements NoiseSchedule {

  /** The schedule epsilon, hard-coded in the reference (spec §10.1). */
  public static final double EPSILON = 1e-3;

  private final double alpha0;
  private final double epsilon;

  /** The default schedule: alpha_0 = 1, ε = 1e-3. */
  public LogLinearSchedule() {
    this(1.0);
  }

  /**
   * A schedule with the given alpha_0 and ε = 1e-3.
   *
   * @throws IllegalArgumentException unless 0 &lt; alpha_0 &lt;= 1
   */
  public LogLinearSchedule(double alpha0) {
    this(alpha0, EPSILON);
  }

  /**
   * A schedule with the given alpha_0 and ε.
   *
   * @throws IllegalArgumentException unless 0 &lt; alpha_0 &lt;= 1 and 0 &lt;= ε &lt; 1
   */
  public LogLinearSchedule(double alpha0, double epsilon) {
    if (!(alpha0 > 0 && alpha0 <= 1)) {
      throw new IllegalArgumentException("alpha_0 must be in (0, 1], got " + alpha0);
    }
    if (!(epsilon >= 0 && epsilon < 1)) {
      throw new IllegalArgumentException("epsilon must be in [0, 1), got " + epsilon);
    }
    this.alpha0 = alpha0;
    this.epsilon = epsilon;
  }

  @Override
  public String name() {
    return "log-linear";
  }

  /** alpha_0, the signal level at t = 0. */
  public double alpha0() {
    return alpha0;
  }

  /** ε, so that alpha_1 = alpha_0 · ε. */
  public double epsilon() {
    return epsilon;
  }

  @Override
  public double alpha(double t) {
    check(t);
    return alpha0 * (1 - (1 - epsilon) * t);
  }

  @Override
  public double alphaDerivative(double t) {
    check(t);
    return -alpha0 * (1 - epsilon);
  }

  /**
   * 1 − alpha_t = (1 − alpha_0) + alpha_0 (1 − ε) t, the per-token corruption probability, computed
   * without cancellation.
   */
  public double moveProbability(double t) {
    check(t);
    return (1 - alpha0) + alpha0 * (1 - epsilon) * t;
  }

  @Override
  public double sigma(double t) {
    check(t);
    return -Math.log(alpha0) - Math.log1p(-(1 - epsilon) * t);
  }

  @Override
  public double elboWeight(double t) {
    check(t);
    if (alpha0 == 1.0) {
      return 1.0 / t;
    }
    return alpha0 * (1 - epsilon) / moveProbability(t);
  }

  private static void check(double t) {
    if (!(t >= 0 && t <= 1)) {
      throw new IllegalArgumentException("t must be in [0, 1], got " + t);
    }
  }

  @Override
  public String toString() {
    return "log-linear(alpha_0=" + alpha0 + ", eps=" + epsilon + ")";
  }
}
