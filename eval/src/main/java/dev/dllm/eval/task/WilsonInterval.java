package dev.dllm.eval.task;

/**
 * The Wilson score interval of a binomial proportion (Wilson 1927): for k successes in n trials and
 * z the normal quantile, centre (p + z²/2n) / (1 + z²/n) and half-width z·√(p(1−p)/n + z²/4n²) / (1
 * + z²/n), with p = k/n. Unlike the normal (Wald) interval it stays inside [0, 1] and is not empty
 * at k = 0 or k = n.
 *
 * @param low lower bound
 * @param high upper bound
 */
public record WilsonInterval(double low, double high) {

  /** z of a two-sided 95% interval, Φ⁻¹(0.975). */
  public static final double Z95 = 1.959963984540054;

  /** The 95% interval of k of n; [0, 1] when n = 0. */
  public static WilsonInterval of95(long k, long n) {
    return of(k, n, Z95);
  }

  /**
   * The interval at quantile {@code z}.
   *
   * @throws IllegalArgumentException unless 0 &lt;= k &lt;= n and z &gt; 0
   */
  public static WilsonInterval of(long k, long n, double z) {
    if (k < 0 || k > n || !(z > 0)) {
      throw new IllegalArgumentException("need 0 <= k <= n and z > 0, got k=" + k + " n=" + n);
    }
    if (n == 0) {
      return new WilsonInterval(0, 1);
    }
    double p = (double) k / n;
    double z2 = z * z;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / denom;
    double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
    return new WilsonInterval(Math.max(0, centre - half), Math.min(1, centre + half));
  }
}
