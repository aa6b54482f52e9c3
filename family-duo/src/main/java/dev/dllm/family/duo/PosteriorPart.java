package dev.dllm.family.duo;

/**
 * The part of the Duo posterior mixture ({@link DuoMath#posteriorMasses}: keep z_t, a uniform id,
 * or a draw from x_θ) picked by one float64 uniform, from the exact masses or, when they settle it,
 * from the masses at bounds on x_θ(z_t) ({@link XBounds}); {@link DuoSampler} draws the token.
 */
final class PosteriorPart {
  /** Keep z_t. */
  static final int KEEP = 0;

  /** A uniform id. */
  static final int UNIFORM = 1;

  /** A draw from x_θ. */
  static final int FROM_X = 2;

  private PosteriorPart() {}

  /**
   * The part of the posterior mixture for one float64 uniform, as the float64 code decides it: u =
   * uniform · (M_x + M_u + M_e); keep z_t if u &lt; M_e, a uniform id if u &lt; M_e + M_u, else a
   * draw from x_θ.
   */
  static int of(double uniform, double[] m) {
    double u = uniform * (m[0] + m[1] + m[2]);
    if (u < m[2]) {
      return KEEP;
    }
    return u < m[2] + m[1] ? UNIFORM : FROM_X;
  }

  /**
   * {@link #of} for every x_θ(z_t) in [lo, hi], or −1 when the bounds do not settle it. With A =
   * M_x + M_u (independent of x) and U the uniform, keep ⇔ M_e(1 − U) − U·A &gt; 0 and not-x ⇔
   * M_e(1 − U) + M_u − U·A &gt; 0, both increasing in M_e, which is increasing in x (also in
   * float64), so M_e of the float64 x lies in [M_e(lo), M_e(hi)]; the margin 1e-12·(A + M_e + 2)
   * exceeds the rounding of both evaluations by orders of magnitude.
   *
   * @param mLo {@link DuoMath#posteriorMasses} at x_θ(z_t) = lo
   * @param mHi the same at hi
   * @return {@link #KEEP}, {@link #UNIFORM}, {@link #FROM_X}, or −1 (undecided)
   */
  static int fromBounds(double uniform, double[] mLo, double[] mHi) {
    double a = mLo[0] + mLo[1];
    double tol = 1e-12 * (a + mHi[2] + 2);
    double keep = 1 - uniform;
    if (mLo[2] * keep - uniform * a > tol) {
      return KEEP;
    }
    if (mHi[2] * keep - uniform * a >= -tol) {
      return -1;
    }
    if (mLo[2] * keep + mLo[1] - uniform * a > tol) {
      return UNIFORM;
    }
    return mHi[2] * keep + mHi[1] - uniform * a < -tol ? FROM_X : -1;
  }
}
