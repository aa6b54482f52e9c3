package dev.dllm.api.sample;

/**
 * Float64 softmax / log-softmax of one row of float32 logits with the mask logit suppressed: the
 * logit of the mask id is replaced by {@link #MASK_LOGIT} = -1e6 before normalising, so the mask
 * probability is exactly 0 in float64 (spec §2.1 SUBS step 1, §5, §10.5).
 */
public final class MaskedSoftmax {

  /** The finite value the mask logit is set to (not -inf, as in the reference code). */
  public static final double MASK_LOGIT = -1e6;

  private MaskedSoftmax() {}

  /**
   * Log-softmax of {@code logits[offset .. offset + vocab)} into {@code out[0 .. vocab)}.
   *
   * @param maskId the mask id whose logit is suppressed, or a negative value for none
   * @return {@code out}
   */
  public static double[] logSoftmax(
      float[] logits, int offset, int vocab, int maskId, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double z = v == maskId ? MASK_LOGIT : logits[offset + v];
      out[v] = z;
      if (z > max) {
        max = z;
      }
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(out[v] - max);
    }
    double logZ = max + Math.log(sum);
    for (int v = 0; v < vocab; v++) {
      out[v] -= logZ;
    }
    return out;
  }

  /**
   * Softmax of {@code logits[offset .. offset + vocab)} into {@code out[0 .. vocab)}, float64.
   *
   * @param maskId the mask id whose logit is suppressed, or a negative value for none
   * @return {@code out}, summing to 1
   */
  public static double[] softmax(float[] logits, int offset, int vocab, int maskId, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double z = v == maskId ? MASK_LOGIT : logits[offset + v];
      out[v] = z;
      if (z > max) {
        max = z;
      }
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      double e = Math.exp(out[v] - max);
      out[v] = e;
      sum += e;
    }
    for (int v = 0; v < vocab; v++) {
      out[v] /= sum;
    }
    return out;
  }

  /**
   * The most probable id of one logits row, the mask id excluded (the first on ties).
   *
   * @param maskId the mask id to skip, or a negative value for none
   * @return an id in {@code [0, vocab)}
   */
  public static int argmax(float[] logits, int offset, int vocab, int maskId) {
    int top = -1;
    for (int u = 0; u < vocab; u++) {
      if (u != maskId && (top < 0 || logits[offset + u] > logits[offset + top])) {
        top = u;
      }
    }
    return top;
  }

  /**
   * log p(target) under the masked log-softmax of one logits row, without allocating.
   *
   * @param maskId the mask id whose logit is suppressed, or a negative value for none
   * @return log p in nats (&lt;= 0)
   */
  public static double logProb(float[] logits, int offset, int vocab, int maskId, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double z = v == maskId ? MASK_LOGIT : logits[offset + v];
      if (z > max) {
        max = z;
      }
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      double z = v == maskId ? MASK_LOGIT : logits[offset + v];
      sum += Math.exp(z - max);
    }
    double zt = target == maskId ? MASK_LOGIT : logits[offset + target];
    return zt - max - Math.log(sum);
  }
}
