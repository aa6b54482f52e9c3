package dev.dllm.api.sample;

import java.util.Arrays;

/**
 * Nucleus (top-p) filtering of a float64 probability vector (spec §2.3, §5: [ESO] applies top-p in
 * float64). Keeps the smallest set of most likely tokens whose mass reaches p: tokens are taken in
 * decreasing probability while the mass before them is below p, so the token that crosses p is kept
 * and the top-1 token is always kept (tokens tied with the crossing token are kept too). The rest
 * are set to 0 and the kept mass is renormalised to 1.
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
    double[] sorted = Arrays.copyOfRange(probs, offset, offset + n);
    Arrays.sort(sorted); // ascending; walk from the top
    double total = 0;
    for (double q : sorted) {
      total += q;
    }
    double threshold = p * total;
    double before = 0;
    double cutoff = sorted[n - 1];
    for (int i = n - 1; i >= 0; i--) {
      cutoff = sorted[i];
      before += cutoff;
      if (before >= threshold) {
        break;
      }
    }
    double kept = 0;
    for (int v = offset; v < offset + n; v++) {
      if (probs[v] < cutoff) {
        probs[v] = 0;
      } else {
        kept += probs[v];
      }
    }
    for (int v = offset; v < offset + n; v++) {
      probs[v] /= kept;
    }
  }
}
