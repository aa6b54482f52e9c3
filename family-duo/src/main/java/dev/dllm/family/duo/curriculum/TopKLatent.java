package dev.dllm.family.duo.curriculum;

import dev.dllm.api.sample.Rng;
import dev.dllm.family.duo.NormalTail;

/**
 * The top-k form of Duo's Gaussian latent (spec §3.5 item 7; [DUO] utils.py {@code
 * sample_tempered_softmax_topk}): instead of the dense latent w = α̃ e_x + σ̃ ε over V coordinates,
 * only its k largest coordinates are drawn, exactly, in float64 and O(k) work per token.
 *
 * <p>The V − 1 noise coordinates are i.i.d. N(0, σ̃²); their order statistics M_1 &gt; M_2 &gt; …
 * of n = V − 1 standard normals follow from Rényi's representation in cdf space: log Φ(M_j) = log
 * Φ(M_{j−1}) + log(U_j)/(n − j + 1) with U_j uniform, inverted with {@link
 * NormalTail#upperQuantileLog}. The clean coordinate is α̃ + σ̃ ε_x. The top k of the k noise
 * statistics and the clean coordinate are kept; the noise coordinates get k distinct ids drawn
 * uniformly from the V − 1 ids other than x (the noise is exchangeable). argmax w, the curriculum's
 * target z_t, is the first kept id.
 *
 * <p>The softmax(w/τ) mass outside the kept set is the tail: the dropped candidate exactly, plus
 * the n − k noise coordinates below M_k by their truncated-normal mean, (n − k) E[exp(c ε) | ε &lt;
 * m] = (n − k) exp(c²/2) Φ(m − c)/Φ(m) with c = σ̃/τ, in log space ({@link #tailLogMeanExp}).
 */
public final class TopKLatent {
  private TopKLatent() {}

  /**
   * One token's top-k latent.
   *
   * @param ids the kept ids, by decreasing w
   * @param logits w/τ of the kept ids
   * @param tailLogSumExp log Σ exp(w/τ) over the coordinates not kept (−∞ when all V are kept)
   */
  public record Sample(int[] ids, double[] logits, double tailLogSumExp) {
    /** argmax w, the curriculum's discrete state z_t. */
    public int argmax() {
      return ids[0];
    }

    /**
     * softmax(w/τ) of the kept ids over all V coordinates (the tail included in the normaliser), so
     * they sum to 1 − tail mass.
     */
    public double[] weights() {
      double max = logits[0];
      double s = 0;
      for (double l : logits) {
        s += Math.exp(l - max);
      }
      double lse = logAddExp(max + Math.log(s), tailLogSumExp);
      double[] w = new double[logits.length];
      for (int i = 0; i < w.length; i++) {
        w[i] = Math.exp(logits[i] - lse);
      }
      return w;
    }
  }

  /**
   * Draws the top-k latent of one token.
   *
   * @param x the clean id
   * @param vocab V &gt;= 2
   * @param k kept coordinates, 1 &lt;= k (capped at V)
   * @param signal α̃ = sqrt(sigmoid(−γ))
   * @param noise σ̃ = sqrt(sigmoid(γ)) &gt; 0
   * @param tau softmax temperature τ &gt; 0
   */
  public static Sample sample(
      int x, int vocab, int k, double signal, double noise, double tau, Rng rng) {
    if (vocab < 2 || k < 1 || x < 0 || x >= vocab || !(noise > 0) || !(tau > 0)) {
      throw new IllegalArgumentException(
          "need V >= 2, k >= 1, 0 <= x < V, noise > 0, tau > 0; got V="
              + vocab
              + " k="
              + k
              + " x="
              + x
              + " noise="
              + noise
              + " tau="
              + tau);
    }
    int n = vocab - 1;
    int kk = Math.min(k, n);
    double[] m = new double[kk];
    double logCdf = 0;
    for (int j = 0; j < kk; j++) {
      double u = 1 - rng.uniform(); // (0, 1]
      logCdf = Math.min(logCdf + Math.log(u) / (n - j), -1e-300);
      m[j] = NormalTail.upperQuantileLog(Math.log(-Math.expm1(logCdf)));
    }
    double clean = signal + noise * standardNormal(rng);
    int keep = Math.min(k, kk + 1);
    int[] ids = new int[keep];
    double[] w = new double[keep];
    int[] noiseIds = distinctIdsExcept(x, vocab, kk, rng);
    int a = 0; // next noise statistic
    boolean cleanUsed = false;
    for (int i = 0; i < keep; i++) {
      if (!cleanUsed && (a >= kk || clean > noise * m[a])) {
        ids[i] = x;
        w[i] = clean;
        cleanUsed = true;
      } else {
        ids[i] = noiseIds[a];
        w[i] = noise * m[a];
        a++;
      }
    }
    double tail = Double.NEGATIVE_INFINITY;
    if (!cleanUsed) {
      tail = clean / tau;
    } else if (a < kk) {
      tail = noise * m[a] / tau; // the dropped noise statistic
    }
    if (n > kk) {
      double c = noise / tau;
      tail = logAddExp(tail, Math.log(n - kk) + tailLogMeanExp(c, m[kk - 1]));
    }
    double[] logits = new double[keep];
    for (int i = 0; i < keep; i++) {
      logits[i] = w[i] / tau;
    }
    return new Sample(ids, logits, tail);
  }

  /** log E[exp(c ε) | ε &lt; m] = c²/2 + log Φ(m − c) − log Φ(m) for ε ~ N(0, 1). */
  public static double tailLogMeanExp(double c, double m) {
    return 0.5 * c * c + NormalTail.logCdf(m - c) - NormalTail.logCdf(m);
  }

  /** A standard normal by inversion of one float64 uniform. */
  static double standardNormal(Rng rng) {
    double u = 1 - rng.uniform(); // (0, 1]
    return NormalTail.upperQuantileLog(u == 1 ? -0x1p-54 : Math.log(u));
  }

  /** {@code count} distinct ids uniformly from [0, vocab) \ {x} (count &lt;= vocab − 1). */
  private static int[] distinctIdsExcept(int x, int vocab, int count, Rng rng) {
    int[] out = new int[count];
    if (count * 4L > vocab) { // partial Fisher-Yates over the V - 1 candidates
      int[] pool = new int[vocab - 1];
      for (int v = 0, i = 0; v < vocab; v++) {
        if (v != x) {
          pool[i++] = v;
        }
      }
      for (int i = 0; i < count; i++) {
        int j = i + rng.nextInt(pool.length - i);
        int tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
        out[i] = pool[i];
      }
      return out;
    }
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < count; ) {
      int v = rng.nextInt(vocab - 1);
      v = v >= x ? v + 1 : v;
      if (seen.add(v)) {
        out[i++] = v;
      }
    }
    return out;
  }

  static double logAddExp(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    double max = Math.max(a, b);
    return max + Math.log1p(Math.exp(-Math.abs(a - b)));
  }
}
