package dev.dllm.eval.scaling;

import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresBuilder;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LevenbergMarquardtOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.MultivariateJacobianFunction;
import org.hipparchus.util.Pair;

/**
 * L(C) = E + A · C^(−b), the compute-optimal loss frontier, fitted by Levenberg–Marquardt least
 * squares (Hipparchus). For conditioning the fit runs on x = C / C_ref with C_ref the geometric
 * mean of the budgets (L = E + A_ref · x^(−b), A = A_ref · C_ref^b); the start comes from a grid
 * over E with a log-linear fit of L − E at each. 95% intervals: ± t(0.975, n − 3) · se, with the
 * covariance s² (JᵀJ)^(−1) at the optimum (A's interval by the delta method); NaN when n ≤ 3.
 *
 * <p>E is a loss floor, so it is bounded to 0 ≤ E &lt; min L_opt (and A, b &gt; 0). When the
 * unconstrained optimum leaves that region (a few budgets with no visible saturation drive E to −∞
 * and b to 0), the fit is redone at the bound E = 0, i.e. the pure power law L = A · C^(−b) fitted
 * in loss space, and {@code eAtBound} says so; its intervals are then NaN (an optimum on a bound
 * has no symmetric interval).
 *
 * @param e irreducible loss E (nats/token)
 * @param a the constant A
 * @param b the exponent b
 * @param cRef C_ref
 * @param aRef A_ref = A · C_ref^(−b), the reducible loss at C_ref
 * @param eCi 95% interval of E {low, high}
 * @param aCi 95% interval of A
 * @param bCi 95% interval of b
 * @param r2 R²
 * @param points number of points
 * @param eAtBound whether E sits at its bound 0 (the unconstrained fit left 0 ≤ E &lt; min L)
 */
public record SaturatingPowerLaw(
    double e,
    double a,
    double b,
    double cRef,
    double aRef,
    double[] eCi,
    double[] aCi,
    double[] bCi,
    double r2,
    int points,
    boolean eAtBound) {

  /**
   * Fits {@code loss} against {@code c}.
   *
   * @throws IllegalArgumentException with fewer than 3 points
   */
  public static SaturatingPowerLaw fit(double[] c, double[] loss) {
    int n = c.length;
    if (n < 3) {
      throw new IllegalArgumentException("E + A·C^-b needs >= 3 budgets, got " + n);
    }
    double logRef = 0;
    for (double v : c) {
      logRef += Math.log(v) / n;
    }
    double cRef = Math.exp(logRef);
    double[] lx = new double[n];
    for (int i = 0; i < n; i++) {
      lx[i] = Math.log(c[i] / cRef);
    }
    double[] start = start(lx, loss);
    LeastSquaresOptimizer.Optimum opt = optimize(lx, loss, start, false);
    double minLoss = java.util.Arrays.stream(loss).min().orElseThrow();
    boolean atBound =
        !(opt.getPoint().getEntry(0) >= 0
            && opt.getPoint().getEntry(0) < minLoss
            && opt.getPoint().getEntry(1) > 0
            && opt.getPoint().getEntry(2) > 0);
    if (atBound) {
      opt = optimize(lx, loss, new double[] {0, start[1], Math.max(start[2], 1e-3)}, true);
    }
    double e = opt.getPoint().getEntry(0);
    double ar = opt.getPoint().getEntry(1);
    double b = opt.getPoint().getEntry(2);
    double ssRes = 0;
    double ssTot = 0;
    double mean = java.util.Arrays.stream(loss).average().orElseThrow();
    for (int i = 0; i < n; i++) {
      double r = loss[i] - (e + ar * Math.exp(-b * lx[i]));
      ssRes += r * r;
      ssTot += (loss[i] - mean) * (loss[i] - mean);
    }
    double a = ar * Math.pow(cRef, b);
    double[] eCi = {Double.NaN, Double.NaN};
    double[] aCi = {Double.NaN, Double.NaN};
    double[] bCi = {Double.NaN, Double.NaN};
    if (n > 3 && !atBound) {
      RealMatrix cov = opt.getCovariances(1e-14).scalarMultiply(ssRes / (n - 3));
      double t = new TDistribution(n - 3).inverseCumulativeProbability(0.975);
      eCi = interval(e, t * Math.sqrt(cov.getEntry(0, 0)));
      bCi = interval(b, t * Math.sqrt(cov.getEntry(2, 2)));
      // A = A_ref · C_ref^b: gradient (dA/dA_ref, dA/db) = (C_ref^b, A · ln C_ref)
      double g1 = Math.pow(cRef, b);
      double g2 = a * Math.log(cRef);
      double varA =
          g1 * g1 * cov.getEntry(1, 1)
              + 2 * g1 * g2 * cov.getEntry(1, 2)
              + g2 * g2 * cov.getEntry(2, 2);
      aCi = interval(a, t * Math.sqrt(varA));
    }
    return new SaturatingPowerLaw(
        e, a, b, cRef, ar, eCi, aCi, bCi, ssTot > 0 ? 1 - ssRes / ssTot : 1, n, atBound);
  }

  /**
   * Levenberg–Marquardt on (E, A_ref, b); with {@code fixE} the E column of the Jacobian is zero,
   * so E stays at its start value.
   */
  private static LeastSquaresOptimizer.Optimum optimize(
      double[] lx, double[] loss, double[] start, boolean fixE) {
    int n = lx.length;
    MultivariateJacobianFunction model =
        p -> {
          double e = p.getEntry(0);
          double ar = p.getEntry(1);
          double b = p.getEntry(2);
          double[] v = new double[n];
          double[][] j = new double[n][3];
          for (int i = 0; i < n; i++) {
            double pw = Math.exp(-b * lx[i]);
            v[i] = e + ar * pw;
            j[i][0] = fixE ? 0 : 1;
            j[i][1] = pw;
            j[i][2] = -ar * pw * lx[i];
          }
          return new Pair<>(new ArrayRealVector(v, false), new Array2DRowRealMatrix(j, false));
        };
    return new LevenbergMarquardtOptimizer()
        .optimize(
            new LeastSquaresBuilder()
                .start(start)
                .model(model)
                .target(loss)
                .maxEvaluations(10_000)
                .maxIterations(10_000)
                .build());
  }

  private static double[] interval(double v, double half) {
    return new double[] {v - half, v + half};
  }

  /** Grid over E in [0, min L) with a log-linear fit of ln(L − E) against ln x at each. */
  private static double[] start(double[] lx, double[] loss) {
    double min = java.util.Arrays.stream(loss).min().orElseThrow();
    double[] best = null;
    double bestSse = Double.POSITIVE_INFINITY;
    for (int g = 0; g < 100; g++) {
      double e = min * g / 100.0;
      double sx = 0;
      double sy = 0;
      double sxx = 0;
      double sxy = 0;
      int n = lx.length;
      for (int i = 0; i < n; i++) {
        double y = Math.log(loss[i] - e);
        sx += lx[i];
        sy += y;
        sxx += lx[i] * lx[i];
        sxy += lx[i] * y;
      }
      double den = n * sxx - sx * sx;
      double slope = den == 0 ? 0 : (n * sxy - sx * sy) / den;
      double icept = (sy - slope * sx) / n;
      double ar = Math.exp(icept);
      double b = -slope;
      double sse = 0;
      for (int i = 0; i < n; i++) {
        double r = loss[i] - (e + ar * Math.exp(-b * lx[i]));
        sse += r * r;
      }
      if (sse < bestSse) {
        bestSse = sse;
        best = new double[] {e, ar, b};
      }
    }
    return best;
  }

  /** E + A · C^(−b). */
  public double at(double c) {
    return e + aRef * Math.pow(c / cRef, -b);
  }

  /**
   * The budget that reaches {@code loss}: C = C_ref · (A_ref / (loss − E))^(1/b); +∞ when loss
   * &lt;= E.
   */
  public double flopsFor(double loss) {
    return loss <= e ? Double.POSITIVE_INFINITY : cRef * Math.pow(aRef / (loss - e), 1 / b);
  }
}
