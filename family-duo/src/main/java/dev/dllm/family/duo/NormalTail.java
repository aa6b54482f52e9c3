package dev.dllm.family.duo;

/**
 * The standard normal cdf in log space, float64, pure Java: log Φ(z) with full relative accuracy in
 * both tails (spec §3.4 needs a stable log-ndtr; Φ^(V−1) is never formed directly).
 *
 * <p>With Q(x) = Φ(−x) for x &gt;= 0: for x &lt; {@value #SPLIT}, Q = ½ − φ(x) Σ_n x^(2n+1) /
 * (2n+1)!! (the series of Φ, all terms positive); for x &gt;= {@value #SPLIT}, Q = φ(x) R(x) with
 * the Mills ratio R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))) (Laplace's continued fraction, evaluated
 * backwards from a fixed depth). Then log Φ(z) = log1p(−Q(z)) for z &gt;= 0 and log Q(−z) for z
 * &lt; 0, the latter as −x²/2 − ½ log 2π + log R(x) in the far tail, so it never underflows.
 */
public final class NormalTail {
  /** Where the power series hands over to the continued fraction. */
  static final double SPLIT = 2.5;

  private static final int CF_DEPTH = 300;
  private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

  private NormalTail() {}

  /** log φ(x), the standard normal log density. */
  public static double logPdf(double x) {
    return -0.5 * x * x - HALF_LOG_2PI;
  }

  /** log Φ(z), finite for every finite z (≈ −z²/2 for z → −∞, ≈ −Q(z) for z → +∞). */
  public static double logCdf(double z) {
    if (Double.isNaN(z)) {
      return Double.NaN;
    }
    if (z >= 0) {
      return Math.log1p(-upperTail(z));
    }
    double x = -z;
    if (x < SPLIT) {
      return Math.log(0.5 - Math.exp(logPdf(x)) * series(x));
    }
    return logPdf(x) + Math.log(millsRatio(x));
  }

  /** Φ(z) (may underflow to 0 below z ≈ −38; use {@link #logCdf} there). */
  public static double cdf(double z) {
    return z >= 0 ? 1 - upperTail(z) : upperTail(-z);
  }

  /** Q(x) = 1 − Φ(x) for x &gt;= 0, with full relative accuracy. */
  static double upperTail(double x) {
    if (x < SPLIT) {
      return 0.5 - Math.exp(logPdf(x)) * series(x);
    }
    return Math.exp(logPdf(x)) * millsRatio(x);
  }

  /** Σ_n x^(2n+1)/(2n+1)!! = (Φ(x) − ½)/φ(x). */
  private static double series(double x) {
    double term = x;
    double sum = x;
    double x2 = x * x;
    for (int n = 1; n < 500; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) {
        break;
      }
    }
    return sum;
  }

  /** R(x) = Q(x)/φ(x) for x &gt; 0 by the continued fraction, evaluated from depth 300 down. */
  private static double millsRatio(double x) {
    double f = x;
    for (int k = CF_DEPTH; k >= 1; k--) {
      f = x + k / f;
    }
    return 1 / f;
  }
}
