package dev.dllm.family.duo.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Rng;
import dev.dllm.family.duo.GaussianDuality;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistillTest {

  /** Marginals P(z = x) = P(γ) for both states, and the coupling's structure. */
  @Test
  void coupledPairHasTheDualityMarginals() {
    int v = 1000;
    double gt = 0.3;
    double gs = -1.2;
    int n = 100_000;
    Rng rng = new Rng(11);
    int cleanT = 0;
    int cleanS = 0;
    for (int i = 0; i < n; i++) {
      int[] z = CoupledLatent.sample(4, v, gt, gs, rng);
      cleanT += z[0] == 4 ? 1 : 0;
      cleanS += z[1] == 4 ? 1 : 0;
      if (z[0] == 4) {
        assertEquals(4, z[1], "z_t = x implies z_s = x");
      }
      if (z[0] != 4 && z[1] != 4) {
        assertEquals(z[0], z[1], "a corrupted pair shares the winning noise id");
      }
    }
    for (double[] c : new double[][] {{gt, cleanT}, {gs, cleanS}}) {
      double p = GaussianDuality.of(v).p(c[0]);
      assertEquals(p, c[1] / n, 3 * Math.sqrt(p * (1 - p) / n), "gamma " + c[0]);
    }
  }

  /** The O(1) coupling against the dense argmax with one shared ε over all V coordinates. */
  @Test
  void coupledPairMatchesDenseSharedNoise() {
    int v = 20;
    int x = 3;
    double gt = 1.0;
    double gs = -0.5;
    int n = 100_000;
    double[] dense = new double[3]; // P(both clean), P(t noisy, s clean), P(both noisy)
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < n; i++) {
      double[] eps = new double[v];
      for (int j = 0; j < v; j++) {
        eps[j] = r.nextGaussian();
      }
      int zt = argmax(eps, x, gt);
      int zs = argmax(eps, x, gs);
      dense[zt == x ? 0 : zs == x ? 1 : 2]++;
    }
    double[] fast = new double[3];
    Rng rng = new Rng(3);
    for (int i = 0; i < n; i++) {
      int[] z = CoupledLatent.sample(x, v, gt, gs, rng);
      fast[z[0] == x ? 0 : z[1] == x ? 1 : 2]++;
    }
    for (int c = 0; c < 3; c++) {
      double p = dense[c] / n;
      assertEquals(p, fast[c] / n, 5 * Math.sqrt(2 * p * (1 - p) / n), "cell " + c);
    }
  }

  static int argmax(double[] eps, int x, double gamma) {
    double a = Math.sqrt(1 / (1 + Math.exp(gamma)));
    double s = Math.sqrt(1 / (1 + Math.exp(-gamma)));
    int best = -1;
    double bestW = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < eps.length; j++) {
      double w = (j == x ? a : 0) + s * eps[j];
      if (w > bestW) {
        bestW = w;
        best = j;
      }
    }
    return best;
  }

  @Test
  void dtDoublesEveryTeacherRound() {
    DcdSchedule s = new DcdSchedule(512, 10_000);
    assertEquals(1.0 / 512, s.dt(0), 0);
    assertEquals(1.0 / 512, s.dt(9_999), 0);
    assertEquals(2.0 / 512, s.dt(10_000), 0);
    assertEquals(16.0 / 512, s.dt(40_000), 0);
    assertEquals(1.0, s.dt(1_000_000), 0);
    assertTrue(s.refreshTeacher(0) && s.refreshTeacher(20_000));
    assertFalse(s.refreshTeacher(20_001));
    assertArrayEquals(new double[] {1.0, 1.0 - 2.0 / 512}, s.times(0.999, 10_000), 1e-15);
    assertArrayEquals(new double[] {0.5 + 1.0 / 512, 0.5}, s.times(0.5, 0), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> new DcdSchedule(0, 1));
    assertThrows(
        IllegalArgumentException.class, () -> CoupledLatent.sample(0, 5, -1, 0, new Rng(1)));
  }

  @Test
  void klIsZeroForEqualLogitsAndMatchesTheDefinition() {
    float[] p = {0.5f, -1f, 2f, 9f, 0.1f};
    float[] q = {1.5f, 0.2f, -0.3f, -4f, 0.9f};
    assertEquals(0, DcdMath.kl(p, 0, p, 0, 5, 3), 1e-15);
    double zp = 0;
    double zq = 0;
    for (int v = 0; v < 5; v++) {
      if (v != 3) {
        zp += Math.exp(p[v]);
        zq += Math.exp(q[v]);
      }
    }
    double want = 0;
    for (int v = 0; v < 5; v++) {
      if (v != 3) {
        double a = Math.exp(p[v]) / zp;
        double b = Math.exp(q[v]) / zq;
        want += a * Math.log(a / b);
      }
    }
    assertEquals(want, DcdMath.kl(p, 0, q, 0, 5, 3), 1e-14);
    assertTrue(DcdMath.kl(q, 0, p, 0, 5, 3) > 0);
  }
}
