package dev.dllm.family.duo;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.MaskedSoftmax;

/**
 * Cheap, guaranteed bounds on x_θ(z_t) = softmax(logits)[z_t] (logit[mask] = −1e6, float64), so
 * that the part of the Duo posterior (keep z_t, uniform, or a draw from x_θ; {@link
 * DuoMath#posteriorMasses}) can usually be decided without the V exps of the exact softmax sum,
 * with exactly the decision the float64 computation would take.
 *
 * <p>Each term exp(d), d = z − max ≤ 0, is bounded by a table: with m = ⌈−64 d⌉ (exact: scaling by
 * 64 and ceil are exact), exp(−m/64) ≤ exp(d) ≤ exp(−m/64) · e^(1/64), and exp(−m/64) = A[m ≫ 6] ·
 * B[m &amp; 63] from two small tables of Math.exp values. The sum of the lower terms, widened by
 * the worst rounding of both this sum and the exact one ((2V + 16) units in the last place),
 * brackets the float64 sum that {@link MaskedSoftmax#logProb} computes, so the interval [lo, hi]
 * (relative width about 1.6%) contains the float64 x_θ(z_t) that the exact path would use. A
 * non-finite logit (NaN, +∞) gives no bounds ({@link #ok} false).
 */
final class XBounds {
  /** Steps per unit of d in the table. */
  private static final int STEPS = 64;

  /** exp(−m/64) = 0 in float64 from here on (exp(−746) underflows to 0). */
  private static final int LIMIT = 746 * STEPS;

  private static final double[] WHOLE = new double[LIMIT / STEPS + 1];
  private static final double[] FRACTION = new double[STEPS];

  /** e^(1/64), the ratio of the upper to the lower bound of one term, rounded up. */
  private static final double STEP_RATIO = Math.nextUp(Math.exp(1.0 / STEPS));

  static {
    for (int a = 0; a < WHOLE.length; a++) {
      WHOLE[a] = Math.exp(-a);
    }
    for (int b = 0; b < STEPS; b++) {
      FRACTION[b] = Math.exp(-b / (double) STEPS);
    }
  }

  private XBounds() {}

  /**
   * Bounds lo ≤ x_θ(z_t) ≤ hi (as computed by {@code exp(MaskedSoftmax.logProb(...))}) into {@code
   * out[2j]}, {@code out[2j + 1]}; both NaN when a logit is NaN or +∞.
   *
   * @param logits the row at {@code offset .. offset + vocab}
   */
  static void of(float[] logits, int offset, int vocab, int mask, int zt, double[] out, int j) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double z = v == mask ? MaskedSoftmax.MASK_LOGIT : logits[offset + v];
      if (z > max) {
        max = z;
      }
    }
    double sum = 0;
    boolean finite = max < Double.POSITIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double z = v == mask ? MaskedSoftmax.MASK_LOGIT : logits[offset + v];
      double y = (max - z) * STEPS; // = −64 d >= 0; exact: a power-of-2 scaling of max − z
      if (!(y >= 0)) {
        finite = false; // NaN logit
        break;
      }
      if (y < LIMIT) {
        int m = (int) Math.ceil(y);
        sum += WHOLE[m >> 6] * FRACTION[m & (STEPS - 1)];
      }
    }
    if (!finite) {
      out[2 * j] = Double.NaN;
      out[2 * j + 1] = Double.NaN;
      return;
    }
    // per term: table product within 3 ulp; sums (this one and logProb's) within V ulp each
    double slack = (2.0 * vocab + 16) * 0x1p-52;
    double sumLo = sum * (1 - slack);
    double sumHi = sum * STEP_RATIO * (1 + slack) + vocab * Double.MIN_NORMAL;
    double zAt = zt == mask ? MaskedSoftmax.MASK_LOGIT : logits[offset + zt];
    double e = Math.exp(zAt - max);
    // logProb's exp(z − max − log sum) rounds its exponent (|.| < 1e6 before exp): 1e-9 covers it
    // (and 1e-300 the absolute error of a subnormal result)
    out[2 * j] = e / sumHi * (1 - 1e-9) - 1e-300;
    out[2 * j + 1] = e / sumLo * (1 + 1e-9) + 1e-300;
  }

  /** Whether {@link #of} produced bounds (no NaN or +∞ logit). */
  static boolean ok(double lo) {
    return !Double.isNaN(lo);
  }

  /**
   * {@link #of} on x_θ(z_t) at every position of z_t {@code [B, L]} where {@code skip} is false, in
   * parallel over positions (they use no randomness, so the split does not matter): the bulk of the
   * posterior's work is then spread over all cores, not only over the B rows whose draws must run
   * in order. Clamped positions of a conditional sample draw nothing, so they need no bounds
   * (theirs are left 0).
   *
   * @param skip {@code [B, L]} true where no bounds are needed, or null for none
   * @return {@code [lo, hi]} per position, {@code [2·B·L]}
   */
  static double[] ofAll(Logits logits, int[] zt, int length, int mask, boolean[] skip) {
    double[] out = new double[2 * zt.length];
    java.util.stream.IntStream.range(0, zt.length)
        .parallel()
        .forEach(
            j -> {
              if (skip == null || !skip[j]) {
                of(
                    logits.values(),
                    logits.offset(j / length, j % length),
                    logits.vocab(),
                    mask,
                    zt[j],
                    out,
                    j);
              }
            });
    return out;
  }
}
