package dev.dllm.eval.scaling;

import org.hipparchus.fitting.PolynomialCurveFitter;
import org.hipparchus.fitting.WeightedObservedPoints;

/**
 * The IsoFLOP parabola (Chinchilla approach 2, as the paper fits each budget): loss = c0 + c1·x +
 * c2·x² with x = ln N, fitted by least squares (Hipparchus {@link PolynomialCurveFitter}). When c2
 * &gt; 0 the vertex gives N_opt = exp(−c1 / (2 c2)) and L_opt = c0 − c1² / (4 c2).
 *
 * @param c0 constant term
 * @param c1 linear coefficient (per ln N)
 * @param c2 quadratic coefficient
 * @param r2 coefficient of determination
 * @param points number of (N, loss) points
 */
public record Parabola(double c0, double c1, double c2, double r2, int points) {

  /**
   * Fits {@code loss[i]} against {@code ln n[i]}.
   *
   * @throws IllegalArgumentException with fewer than 3 distinct sizes
   */
  public static Parabola fit(double[] n, double[] loss) {
    long distinct = java.util.Arrays.stream(n).distinct().count();
    if (distinct < 3) {
      throw new IllegalArgumentException("a parabola needs >= 3 model sizes, got " + distinct);
    }
    WeightedObservedPoints pts = new WeightedObservedPoints();
    for (int i = 0; i < n.length; i++) {
      pts.add(Math.log(n[i]), loss[i]);
    }
    double[] c = PolynomialCurveFitter.create(2).fit(pts.toList());
    Parabola p = new Parabola(c[0], c[1], c[2], Double.NaN, n.length);
    double mean = java.util.Arrays.stream(loss).average().orElse(Double.NaN);
    double ssRes = 0;
    double ssTot = 0;
    for (int i = 0; i < n.length; i++) {
      double r = loss[i] - p.at(n[i]);
      ssRes += r * r;
      ssTot += (loss[i] - mean) * (loss[i] - mean);
    }
    return new Parabola(c[0], c[1], c[2], ssTot > 0 ? 1 - ssRes / ssTot : 1, n.length);
  }

  /** The fitted loss at size {@code n}. */
  public double at(double n) {
    double x = Math.log(n);
    return c0 + c1 * x + c2 * x * x;
  }

  /** Whether the parabola opens upwards (has a minimum). */
  public boolean hasMinimum() {
    return c2 > 0;
  }

  /** N_opt = exp(−c1 / (2 c2)); NaN without a minimum. */
  public double nOpt() {
    return hasMinimum() ? Math.exp(-c1 / (2 * c2)) : Double.NaN;
  }

  /** L_opt = c0 − c1² / (4 c2); NaN without a minimum. */
  public double lOpt() {
    return hasMinimum() ? c0 - c1 * c1 / (4 * c2) : Double.NaN;
  }
}
