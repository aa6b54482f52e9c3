package dev.dllm.eval.scaling;

import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.fitting.PolynomialCurveFitter;
import org.hipparchus.fitting.WeightedObservedPoints;

/**
 * y = k · C^a fitted as a straight line in log–log space (ln y = ln k + a ln C, Hipparchus {@link
 * PolynomialCurveFitter} of degree 1), e.g. N_opt ∝ C^a. The 95% confidence interval of the
 * exponent is a ± t(0.975, n − 2) · se(a) with se(a) = sqrt(s² / Σ (ln C − mean)²) and s² the
 * residual variance of the log fit; it is NaN with fewer than 3 points.
 *
 * @param a the exponent
 * @param k the constant
 * @param aLow lower end of the 95% interval of a
 * @param aHigh upper end of the 95% interval of a
 * @param r2 R² of the log–log fit
 * @param points number of points
 */
public record PowerLaw(double a, double k, double aLow, double aHigh, double r2, int points) {

  /**
   * Fits {@code y} against {@code c}.
   *
   * @throws IllegalArgumentException with fewer than 2 distinct C or a non-positive value
   */
  public static PowerLaw fit(double[] c, double[] y) {
    int n = c.length;
    if (java.util.Arrays.stream(c).distinct().count() < 2) {
      throw new IllegalArgumentException("a power law needs >= 2 distinct budgets");
    }
    WeightedObservedPoints pts = new WeightedObservedPoints();
    double[] x = new double[n];
    double[] ly = new double[n];
    for (int i = 0; i < n; i++) {
      if (!(c[i] > 0 && y[i] > 0)) {
        throw new IllegalArgumentException("power-law fit needs positive values");
      }
      x[i] = Math.log(c[i]);
      ly[i] = Math.log(y[i]);
      pts.add(x[i], ly[i]);
    }
    double[] coef = PolynomialCurveFitter.create(1).fit(pts.toList());
    double mx = java.util.Arrays.stream(x).average().orElseThrow();
    double my = java.util.Arrays.stream(ly).average().orElseThrow();
    double sxx = 0;
    double ssRes = 0;
    double ssTot = 0;
    for (int i = 0; i < n; i++) {
      sxx += (x[i] - mx) * (x[i] - mx);
      double r = ly[i] - (coef[0] + coef[1] * x[i]);
      ssRes += r * r;
      ssTot += (ly[i] - my) * (ly[i] - my);
    }
    double low = Double.NaN;
    double high = Double.NaN;
    if (n > 2) {
      double se = Math.sqrt(ssRes / (n - 2) / sxx);
      double t = new TDistribution(n - 2).inverseCumulativeProbability(0.975);
      low = coef[1] - t * se;
      high = coef[1] + t * se;
    }
    return new PowerLaw(
        coef[1], Math.exp(coef[0]), low, high, ssTot > 0 ? 1 - ssRes / ssTot : 1, n);
  }

  /** k · C^a. */
  public double at(double c) {
    return k * Math.pow(c, a);
  }
}
