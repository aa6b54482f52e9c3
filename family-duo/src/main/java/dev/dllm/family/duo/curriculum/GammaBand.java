package dev.dllm.family.duo.curriculum;

import dev.dllm.family.duo.GaussianDuality;

/**
 * The curriculum's noise band (spec §3.5 items 1-2; [DUO] algo.py {@code DUO.nll}): t ∈ [0, 1] maps
 * to γ_t = γ_min + t (γ_max − γ_min), the discrete schedule is alpha_t = alpha(γ_t) of the
 * Gaussian-to-discrete transformation ({@link GaussianDuality}, from its cached table) and alpha'_t
 * = (γ_max − γ_min) · dalpha/dγ(γ_t). The reference uses a forward difference with step 1e-3 in γ
 * for the derivative (spec §10.10); this class uses the exact derivative of the same table.
 *
 * @param gammaMin γ at t = 0 (e.g. −3.55 for OWT)
 * @param gammaMax γ at t = 1 (e.g. −1.85 for OWT)
 * @param vocab V, the model's vocabulary size including the mask id
 */
public record GammaBand(double gammaMin, double gammaMax, int vocab) {
  /**
   * @throws IllegalArgumentException unless γ_min &lt; γ_max are finite and V &gt;= 2
   */
  public GammaBand {
    if (!(Double.isFinite(gammaMin) && Double.isFinite(gammaMax) && gammaMin < gammaMax)) {
      throw new IllegalArgumentException(
          "need finite gamma_min < gamma_max, got " + gammaMin + ", " + gammaMax);
    }
    if (vocab < 2) {
      throw new IllegalArgumentException("need V >= 2, got " + vocab);
    }
  }

  /** γ_t. */
  public double gamma(double t) {
    return gammaMin + t * (gammaMax - gammaMin);
  }

  /**
   * {alpha_t, alpha'_t, α̃_t, σ̃_t} at t: the discrete schedule and its t-derivative, and the
   * Gaussian latent's signal and noise scales α̃ = sqrt(sigmoid(−γ)), σ̃ = sqrt(sigmoid(γ)).
   */
  public double[] at(double t) {
    double g = gamma(t);
    double[] a = GaussianDuality.of(vocab).alphaLookup(g);
    double signal = Math.sqrt(1 / (1 + Math.exp(g)));
    double noise = Math.sqrt(1 / (1 + Math.exp(-g)));
    return new double[] {a[0], a[1] * (gammaMax - gammaMin), signal, noise};
  }
}
