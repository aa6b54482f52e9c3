package dev.dllm.family.duo.distill;

import dev.dllm.api.sample.Rng;
import dev.dllm.family.duo.NormalTail;

/**
 * The shared-noise coupling of Discrete Consistency Distillation (spec §9.1 step 3; [DUO] algo.py
 * {@code Distillation}): one ε ~ N(0, I_V) gives w_t = α̃_t e_x + σ̃_t ε and w_s = α̃_s e_x + σ̃_s
 * ε, and z_t = argmax w_t, z_s = argmax w_s. Dividing by σ̃ shows that only three numbers matter:
 * the clean coordinate ε_x, the largest noise coordinate M = max_{j ≠ x} ε_j and its id j*. Then z
 * = x when μ + ε_x &gt; M and z = j* otherwise, with μ = α̃/σ̃ = e^(−γ/2). So the pair is drawn
 * exactly in O(1) per token instead of O(V): M from its cdf Φ(M) = U^(1/(V−1)), j* uniform over the
 * V − 1 other ids. Since μ_s &gt;= μ_t, z_t = x implies z_s = x, and a corrupted pair shares j*.
 */
public final class CoupledLatent {
  private CoupledLatent() {}

  /**
   * Draws (z_t, z_s) for one token.
   *
   * @param x the clean id
   * @param vocab V &gt;= 2
   * @param gammaT γ_t (noisier)
   * @param gammaS γ_s &lt;= γ_t
   * @return {z_t, z_s}
   * @throws IllegalArgumentException for γ_s &gt; γ_t or bad ids
   */
  public static int[] sample(int x, int vocab, double gammaT, double gammaS, Rng rng) {
    if (vocab < 2 || x < 0 || x >= vocab) {
      throw new IllegalArgumentException("need V >= 2 and 0 <= x < V, got V=" + vocab + " x=" + x);
    }
    if (!(gammaS <= gammaT)) {
      throw new IllegalArgumentException(
          "z_s must be the less noisy state: gamma_s <= gamma_t, got " + gammaS + " > " + gammaT);
    }
    double u = 1 - rng.uniform(); // (0, 1]
    double logCdf = Math.min(Math.log(u) / (vocab - 1), -1e-300);
    double max = NormalTail.upperQuantileLog(Math.log(-Math.expm1(logCdf)));
    double v = 1 - rng.uniform();
    double clean = NormalTail.upperQuantileLog(v == 1 ? -0x1p-54 : Math.log(v));
    int other = rng.nextInt(vocab - 1);
    other = other >= x ? other + 1 : other;
    int zt = Math.exp(-gammaT / 2) + clean > max ? x : other;
    int zs = Math.exp(-gammaS / 2) + clean > max ? x : other;
    return new int[] {zt, zs};
  }
}
