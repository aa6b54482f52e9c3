package dev.dllm.api.schedule;

/**
 * A noise schedule alpha_t over t in [0, 1]: the probability that a token is still clean at time t
 * (spec §1.3).
 */
public interface NoiseSchedule {

  /** Schedule name stored with models, e.g. {@code log-linear}. */
  String name();

  /** alpha_t. */
  double alpha(double t);

  /** d alpha_t / dt. */
  double alphaDerivative(double t);

  /** sigma(t) = -log alpha_t, the time-conditioning scalar, computed stably. */
  double sigma(double t);

  /**
   * The continuous-time MDLM ELBO weight -alpha'_t / (1 - alpha_t), positive; 1/t for the
   * log-linear schedule with alpha_0 = 1 (spec §2.2).
   */
  double elboWeight(double t);
}
