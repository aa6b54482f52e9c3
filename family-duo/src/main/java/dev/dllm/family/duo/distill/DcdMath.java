package dev.dllm.family.duo.distill;

import dev.dllm.api.sample.MaskedSoftmax;

/**
 * The float64 reference of the DCD loss per token (spec §9.1 step 5): with log-softmax of the
 * student and teacher logits (mask logit −1e6), {@code kl-bwd} = Σ_v p_S (log p_S − log p_T) =
 * KL(student ‖ teacher) (the default) and {@code kl-fwd} = KL(teacher ‖ student).
 */
public final class DcdMath {
  private DcdMath() {}

  /**
   * KL(p ‖ q) of two logits rows in nats (&gt;= 0).
   *
   * @param p logits of the first distribution (the student for kl-bwd)
   * @param q logits of the second
   * @param maskId suppressed id, or negative for none
   */
  public static double kl(float[] p, int pOffset, float[] q, int qOffset, int vocab, int maskId) {
    double[] lp = MaskedSoftmax.logSoftmax(p, pOffset, vocab, maskId, new double[vocab]);
    double[] lq = MaskedSoftmax.logSoftmax(q, qOffset, vocab, maskId, new double[vocab]);
    double kl = 0;
    for (int v = 0; v < vocab; v++) {
      if (v != maskId) {
        kl += Math.exp(lp[v]) * (lp[v] - lq[v]);
      }
    }
    return Math.max(0, kl);
  }
}
