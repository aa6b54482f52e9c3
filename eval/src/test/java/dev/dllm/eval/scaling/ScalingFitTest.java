package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScalingFitTest {
  /** Box–Muller normal draw. */
  private static double normal(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  @Test
  void recoversKnownEAbFromNoisyPoints() {
    double e = 1.8;
    double a = 8000; // reducible loss 2.0 at 1e12 FLOPs, 0.13 at 1e16
    double b = 0.3;
    SplittableRandom r = new SplittableRandom(42);
    int n = 20;
    double[] c = new double[n];
    double[] l = new double[n];
    for (int i = 0; i < n; i++) {
      c[i] = Math.pow(10, 12 + 4.0 * i / (n - 1));
      l[i] = (e + a * Math.pow(c[i], -b)) * (1 + 0.0003 * normal(r)); // 0.03% noise
    }
    SaturatingPowerLaw f = SaturatingPowerLaw.fit(c, l);
    assertEquals(e, f.e(), 0.02 * e);
    assertEquals(a, f.a(), 0.02 * a);
    assertEquals(b, f.b(), 0.02 * b);
    assertTrue(f.r2() > 0.999);
    assertTrue(f.eCi()[0] < f.e() && f.e() < f.eCi()[1]);
    assertTrue(f.bCi()[0] <= b && b <= f.bCi()[1], "95% interval of b covers the truth");
    assertTrue(f.aCi()[0] <= a && a <= f.aCi()[1], "95% interval of A covers the truth");
    // inverse: the budget that reaches the fitted loss at C is C
    assertEquals(3e13, f.flopsFor(f.at(3e13)), 3e13 * 1e-9);
  }

  @Test
  void parabolaVertex() {
    // loss = 3 + 0.1 (ln N - ln 2e6)^2: N_opt = 2e6, L_opt = 3
    double[] n = {2.5e5, 1e6, 4e6, 1.6e7};
    double[] l = new double[n.length];
    for (int i = 0; i < n.length; i++) {
      double d = Math.log(n[i]) - Math.log(2e6);
      l[i] = 3 + 0.1 * d * d;
    }
    Parabola p = Parabola.fit(n, l);
    assertEquals(2e6, p.nOpt(), 2e6 * 1e-6);
    assertEquals(3, p.lOpt(), 1e-9);
    assertEquals(1, p.r2(), 1e-9);
  }

  @Test
  void powerLawExponentAndInterval() {
    SplittableRandom r = new SplittableRandom(7);
    double[] c = {1e12, 3e12, 1e13, 3e13, 1e14, 3e14};
    double[] y = new double[c.length];
    for (int i = 0; i < c.length; i++) {
      y[i] = 0.05 * Math.pow(c[i], 0.5) * Math.exp(0.01 * normal(r));
    }
    PowerLaw p = PowerLaw.fit(c, y);
    assertEquals(0.5, p.a(), 0.01);
    assertTrue(p.aLow() < 0.5 && 0.5 < p.aHigh());
    assertEquals(0.05, p.k(), 0.05 * 0.3);
  }

  /**
   * Log-linear losses (no floor in sight, as a CPU sweep's three or four budgets look) drive the
   * unconstrained E + A·C^-b to E → −∞, b → 0 (the first real fit printed E = −199173): the fit
   * must stay in 0 ≤ E &lt; min L and say that E sits at its bound.
   */
  @Test
  void eStaysInItsBoundsWhenTheLossesShowNoFloor() {
    double[] c = {3e11, 1e12, 3e12, 1e13};
    double[] l = new double[c.length];
    for (int i = 0; i < c.length; i++) {
      l[i] = 2.23 - 0.14 * Math.log(c[i] / 3e11) + (i == 2 ? 0.004 : 0);
    }
    SaturatingPowerLaw f = SaturatingPowerLaw.fit(c, l);
    assertTrue(f.eAtBound());
    assertEquals(0.0, f.e());
    assertTrue(f.b() > 0 && f.a() > 0);
    for (int i = 0; i < c.length; i++) {
      assertEquals(l[i], f.at(c[i]), 0.02, "the bounded fit still follows the points");
    }
    assertTrue(Double.isNaN(f.eCi()[0]) && Double.isNaN(f.bCi()[1]));
    // a law with a real floor is not touched by the bound
    for (int i = 0; i < c.length; i++) {
      l[i] = 1.5 + 300 * Math.pow(c[i], -0.3);
    }
    SaturatingPowerLaw g = SaturatingPowerLaw.fit(c, l);
    assertTrue(!g.eAtBound());
    assertEquals(1.5, g.e(), 1e-3);
  }
}
