package dev.dllm.api.sample;

/**
 * Categorical draws by Gumbel-max in ratio form, all in float64: {@code argmax_v q_v / E_v} with
 * {@code E_v = -log(U_v)} exponential noise from float64 uniforms (spec §2.3 {@code
 * sample_categorical}, §10.7). {@code q} may be unnormalised. A float32 noise path truncates the
 * Gumbel tail (acts like a lowered temperature); this class never uses one.
 *
 * <p>U = 0 gives E = +inf, i.e. a ratio of 0 (that entry cannot win), so no additive epsilon is
 * needed and none is used: an epsilon such as {@code 1e-10} would swamp tails like {@code U = 1 -
 * 2^-40}.
 */
public final class Categorical {
  private Categorical() {}

  /**
   * Draws an index in {@code [0, n)} with probability proportional to {@code q[offset + v]}, one
   * uniform per entry from {@code rng}, in index order.
   *
   * @param q non-negative weights (unnormalised allowed); at least one must be positive
   * @return the sampled index relative to {@code offset}
   */
  public static int sample(double[] q, int offset, int n, Rng rng) {
    int best = -1;
    double bestRatio = -1;
    for (int v = 0; v < n; v++) {
      double u = rng.uniform(); // consumed even when q_v = 0, so streams stay aligned
      double ratio = ratio(q[offset + v], u);
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = v;
      }
    }
    return bestRatio > 0 ? best : argmax(q, offset, n);
  }

  /**
   * The same draw with injected uniforms (tests): {@code argmax_v q_v / -log(u_v)}.
   *
   * @param uniforms one U[0, 1) value per entry
   */
  public static int sample(double[] q, double[] uniforms) {
    if (q.length != uniforms.length) {
      throw new IllegalArgumentException(
          "need one uniform per entry: " + q.length + " != " + uniforms.length);
    }
    int best = -1;
    double bestRatio = -1;
    for (int v = 0; v < q.length; v++) {
      double ratio = ratio(q[v], uniforms[v]);
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = v;
      }
    }
    return bestRatio > 0 ? best : argmax(q, 0, q.length);
  }

  /**
   * The same Gumbel-max draw from softmax(logits) with the mask id excluded, straight from one
   * float32 logits row: {@code argmax_v q_v / -log(U_v)} with the unnormalised q_v = exp(z_v - max
   * z) (normalising does not change the argmax) and q_mask = 0. One uniform per entry is drawn in
   * index order, as in {@link #sample(double[], int, int, Rng)}, and the result is the exact
   * argmax, but most entries are rejected without an exp or a log: q_v / E_v cannot beat the
   * current best ratio r when U_v &lt; 1 - q_v / r (because exp(-x) &gt;= 1 - x), and q_v &lt;=
   * 1/(1 - d_v) for d_v = z_v - max z &lt;= 0. The best ratio starts at the most likely entry.
   *
   * @param maskId excluded id (probability 0), or negative for none
   * @param uniforms scratch of length &gt;= n
   * @return the sampled index relative to {@code offset}
   */
  public static int sampleLogits(
      float[] logits, int offset, int n, int maskId, Rng rng, double[] uniforms) {
    int top = -1;
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < n; v++) {
      uniforms[v] = rng.uniform();
      if (v != maskId && logits[offset + v] > max) {
        max = logits[offset + v];
        top = v;
      }
    }
    if (top < 0) {
      throw new IllegalArgumentException("no finite logit to sample from");
    }
    int best = top;
    double bestRatio = ratio(1.0, uniforms[top]);
    for (int v = 0; v < n; v++) {
      if (v == maskId || v == top) {
        continue;
      }
      double d = logits[offset + v] - max;
      double u = uniforms[v];
      if (bestRatio > 0) {
        double qUpper = 1 / (1 - d) + 1e-15;
        if (u < 1 - qUpper / bestRatio - REJECT_MARGIN) {
          continue;
        }
      }
      double q = Math.exp(d);
      if (bestRatio > 0 && u < 1 - q / bestRatio - REJECT_MARGIN) {
        continue;
      }
      double r = ratio(q, u);
      if (r > bestRatio || (r == bestRatio && v < best)) {
        bestRatio = r;
        best = v;
      }
    }
    return best;
  }

  /** Safety margin of the exp/log-free rejection, far above float64 rounding near 1. */
  private static final double REJECT_MARGIN = 0x1p-40;

  private static double ratio(double q, double u) {
    if (!(q > 0) || u <= 0) {
      return 0; // q = 0 never wins; U = 0 means E = +inf
    }
    return q / -Math.log(u);
  }

  /** Index of the largest entry (first on ties). */
  public static int argmax(double[] q, int offset, int n) {
    int best = 0;
    for (int v = 1; v < n; v++) {
      if (q[offset + v] > q[offset + best]) {
        best = v;
      }
    }
    return best;
  }
}
