package dev.dllm.api.sample;

import java.util.Arrays;

/**
 * Nucleus (top-p) filtering of a float64 probability vector (spec §2.3, §5: [ESO] applies top-p in
 * float64). Keeps the smallest set of most likely tokens whose mass reaches p: tokens are taken in
 * decreasing probability while the mass before them is below p, so the token that crosses p is
 * kept and the top-1 token is always kept. The rest are set to 0 and the kept mass is renormalised
 * to 1.
 */
public final class TopP {
  private TopP() {}

  /**
   * Filters {@code probs[offset .. offset + n)} in place.
   *
   * @param probs probabilities (need not sum exactly to 1; the mass is taken relative to the sum)
   * @param p nucleus mass in (0, 1]; p &gt;= 1 leaves the vector unchanged
   * @throws IllegalArgumentException when p is not in (0, 1]
   */
  public static void apply(double[] probs, int offset, int n, double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + p);
    }
    if (p >= 1) {
      return;
    }
    double total = 0;
    Integer[] order = new Integer[n];
    for (int v = 0; v < n; v++) {
      order[v] = v;
      total += probs[offset + v];
    }
    Arrays.sort(order, (a, b) -> Double.compare(probs[offset + b], probs[offset + a]));
    double threshold = p * total;
    double before = 0;
    int kept = 0;
    while (kept < n && (kept == 0 || before < threshold)) {
      before += probs[offset + order[kept]];
      kept++;
    }
    for (int i = kept; i < n; i++) {
      probs[offset + order[i]] = 0;
    }
    for (int i = 0; i < kept; i++) {
      probs[offset + order[i]] /= before;
    }
  }
}
