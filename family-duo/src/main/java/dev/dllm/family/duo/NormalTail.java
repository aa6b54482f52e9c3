package dev.dllm.family.duo;

/**
 * The standard normal cdf in log space, float64, pure Java: log Φ(z) with full relative accuracy in
 * both tails (spec §3.4 needs a stable log-ndtr; Φ^(V−1) is never formed directly).
 *
 * <p>With Q(x) = Φ(−x) for x &gt;= 0: for x &lt; {@value #SPLIT}, Q = ½ − φ(x) Σ_n x^(2n+1) /
 * (2n+1)!! (the series of Φ, all terms positive); for x &gt;= {@value #SPLIT}, Q = φ(x) R(x) with
 * the Mills ratio R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))) (Laplace's continued fraction, modified
 * Lentz). Then log Φ(z) = log1p(−Q(z)) for z &gt;= 0 and log Q(−z) for z &lt; 0, the latter as
 * −x²/2 − ½ log 2π + log R(x) in the far tail, so it never underflows.
 */
public final class NormalTail {
  /** Where the power series hands over to the continued fraction. */
  static final double SPLIT = 2.5;

  private static final int CF_DEPTH = 5000;
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

  /**
   * R(x) = Q(x)/φ(x) for x &gt;= {@value #SPLIT} by the continued fraction x + 1/(x + 2/(x + …)),
   * evaluated with the modified Lentz method until a step changes it by less than 1e-16.
   */
  private static double millsRatio(double x) {
    double f = x;
    double c = x;
    double d = 0;
    for (int k = 1; k <= CF_DEPTH; k++) {
      d = 1 / (x + k * d);
      c = x + k / c;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) {
        break;
      }
    }
    return 1 / f;
  }

  /**
   * The upper quantile from a log tail probability: the z with log Q(z) = {@code logQ}, where Q(z)
   * = 1 − Φ(z). Accurate down to Q = e^(−700) and beyond (no underflow): Acklam's rational
   * approximation as the start, then Newton steps on log Q(z) with {@link #logCdf}.
   *
   * @param logQ log of the upper tail probability, in (−∞, 0)
   * @throws IllegalArgumentException unless logQ &lt; 0
   */
  public static double upperQuantileLog(double logQ) {
    if (!(logQ < 0)) {
      throw new IllegalArgumentException("need log Q < 0, got " + logQ);
    }
    // start: z = −Φ^{-1}(Q) by Acklam's approximation (relative error ~1e-9)
    double z;
    if (logQ < Math.log(P_LOW)) {
      double q = Math.sqrt(-2 * logQ);
      z = -tailRational(q);
    } else if (logQ > Math.log1p(-P_LOW)) {
      double q = Math.sqrt(-2 * Math.log(-Math.expm1(logQ)));
      z = tailRational(q);
    } else {
      double p = Math.exp(logQ) - 0.5;
      double r = p * p;
      z =
          -(((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5])
              * p
              / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
    }
    for (int i = 0; i < 3; i++) {
      double lq = logCdf(-z); // log Q(z)
      double slope = -Math.exp(logPdf(z) - lq); // d log Q / dz
      double step = (lq - logQ) / slope;
      z -= step;
      if (Math.abs(step) < 1e-15 * Math.max(1, Math.abs(z))) {
        break;
      }
    }
    return z;
  }

  /** Acklam's lower-tail rational function of q = sqrt(−2 log p): Φ^{-1}(p) for small p. */
  private static double tailRational(double q) {
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
        / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }

  private static final double P_LOW = 0.02425;
  private static final double[] A = {
    -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00
  };
  private static final double[] B = {
    -5.447609879822406e+01,
    1.615858368580409e+02,
    -1.556989798598866e+02,
    6.680131188771972e+01,
    -1.328068155288572e+01
  };
  private static final double[] C = {
    -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
    -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00
  };
  private static final double[] D = {
    7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00
  };
}
