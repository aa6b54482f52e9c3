package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.hipparchus.special.Erf;
import org.junit.jupiter.api.Test;

class GaussianDualityTest {
  /** Very negative γ (μ = e^(−γ/2) past the log Φ grid): P = 1 and dP/dγ = 0, not a crash. */
  @Test
  void veryNegativeGammaGivesACleanTokenWithoutOverflowingTheGrid() {
    GaussianDuality d = GaussianDuality.of(69);
    double[] near = d.integrals(-25); // still on the grid: the limit is approached continuously
    assertEquals(1.0, near[0], 1e-13);
    assertEquals(0.0, near[1], 1e-9);
    for (double g : new double[] {-30, -40, -700, -1e308}) {
      double[] pd = d.integrals(g);
      assertEquals(1.0, pd[0], 0.0, "P at gamma " + g);
      assertEquals(0.0, pd[1], 0.0, "dP/dgamma at gamma " + g);
    }
  }

  /**
   * Huge γ: alpha is exactly 0 (rounding of V·P − 1 used to give −1.1e-17 at γ = 1e5), never < 0.
   */
  @Test
  void alphaStaysInTheUnitIntervalAtExtremeGamma() {
    for (int v : new int[] {2, 69, 50258}) {
      GaussianDuality d = GaussianDuality.of(v);
      for (double g : new double[] {50, 1e3, 1e5, 1e300}) {
        double a = d.alpha(g);
        assertTrue(a >= 0 && a < 1e-6, "V=" + v + " gamma=" + g + " alpha=" + a);
      }
      assertEquals(1.0, d.alpha(-1e5), 0.0);
    }
  }

  /** log Φ against Hipparchus' erfc (an independent implementation), relative 1e-12. */
  @Test
  void logCdfMatchesHipparchusInBothTails() {
    for (double z = -37; z <= 8; z += 0.0137) {
      double phi = 0.5 * Erf.erfc(-z / Math.sqrt(2));
      double want = Math.log(phi);
      double got = NormalTail.logCdf(z);
      assertEquals(want, got, 1e-12 * Math.max(1e-300, Math.abs(want)) + 1e-16, "z=" + z);
    }
    assertEquals(
        -0.5 * 1e4 - Math.log(100) - 0.5 * Math.log(2 * Math.PI), NormalTail.logCdf(-100), 1e-3);
    assertTrue(Double.isFinite(NormalTail.logCdf(-1e3)));
  }

  /** V = 2: P(γ) = Φ(e^(−γ/2)/√2), alpha = 2P − 1 (issue 8). */
  @Test
  void twoTokensMatchTheClosedForm() {
    GaussianDuality d = GaussianDuality.of(2);
    assertEquals(0.9999998, d.alpha(-4), 1e-4);
    assertEquals(0.5205, d.alpha(0), 1e-4);
    assertEquals(0.07624, d.alpha(4), 1e-4);
    for (double g = -6; g <= 10; g += 0.37) {
      double mu = Math.exp(-g / 2);
      double p = 0.5 * Erf.erfc(-mu / 2);
      assertEquals(p, d.p(g), 1e-11, "gamma=" + g);
      // dP/dγ = φ(μ/√2)/√2 · dμ/dγ, dμ/dγ = −μ/2
      double dp = Math.exp(-mu * mu / 4) / Math.sqrt(2 * Math.PI) / Math.sqrt(2) * (-mu / 2);
      assertEquals(dp, d.dpDgamma(g), 1e-11, "gamma=" + g);
    }
  }

  @Test
  void alphaIsStrictlyDecreasingFromOneToZero() {
    for (int v : new int[] {2, 30, 50257}) {
      GaussianDuality d = GaussianDuality.of(v);
      double previous = 1.0000001;
      for (double g = -6; g <= 10; g += 0.25) {
        double a = d.alpha(g);
        // strictly where 1 - alpha is well above the quadrature error (~1e-12)
        if (a < 1 - 1e-9) {
          assertTrue(a < previous, "V=" + v + " gamma=" + g + ": " + a + " >= " + previous);
          assertTrue(d.dalphaDgamma(g) < 0, "V=" + v + " gamma=" + g);
        } else {
          assertTrue(a <= previous + 1e-12 && a <= 1, "V=" + v + " gamma=" + g);
        }
        previous = a;
      }
      assertTrue(d.alpha(-6) > 0.99);
      assertTrue(d.alpha(10) < 0.01);
    }
  }

  /** The values spec §3.4 verified against the reference tables (gpt2: V = 50257; V = 32001). */
  @Test
  void matchesTheReferenceTableValues() {
    GaussianDuality gpt2 = GaussianDuality.of(50257);
    assertEquals(0.945474, gpt2.alpha(-3.55), 1e-6);
    assertEquals(0.0493176, gpt2.alpha(-1.85), 1e-7);
    assertEquals(0.928347, gpt2.alpha(-3.5), 1e-6);
    assertEquals(0.0382819, gpt2.alpha(-1.75), 1e-7);
    assertEquals(0.5962441764851085, gpt2.p(-5 + 4.0 * 50000 / 99999), 1e-9);
    assertEquals(0.0062060830978489835, gpt2.p(-1), 1e-11);
    assertEquals(-0.014059714260374659, gpt2.dpDgamma(-1), 1e-10);
    GaussianDuality tiny = GaussianDuality.of(32001);
    assertEquals(0.95521, tiny.alpha(-3.55), 1e-5);
    assertEquals(0.06065, tiny.alpha(-1.85), 1e-5);
  }

  /** Derivative by quadrature vs a central difference of P. */
  @Test
  void derivativeMatchesFiniteDifference() {
    GaussianDuality d = GaussianDuality.of(1000);
    for (double g = -5; g <= 5; g += 0.7) {
      double h = 1e-4;
      double fd = (d.alpha(g + h) - d.alpha(g - h)) / (2 * h);
      assertEquals(fd, d.dalphaDgamma(g), 1e-7, "gamma=" + g);
    }
  }

  /** V = 1000, γ = 0: quadrature vs a 10^5-sample Monte Carlo of the argmax, within 3 s.e. */
  @Test
  void quadratureMatchesMonteCarloOfTheArgmax() {
    int v = 1000;
    int n = 100_000;
    double gamma = 0;
    double a = Math.sqrt(1 / (1 + Math.exp(gamma))); // sqrt(sigmoid(-γ))
    double s = Math.sqrt(1 / (1 + Math.exp(-gamma))); // sqrt(sigmoid(γ))
    SplittableRandom r = new SplittableRandom(2024);
    int wins = 0;
    for (int i = 0; i < n; i++) {
      double clean = a + s * r.nextGaussian();
      boolean won = true;
      for (int j = 1; j < v && won; j++) {
        won = s * r.nextGaussian() < clean;
      }
      if (won) {
        wins++;
      }
    }
    double p = GaussianDuality.of(v).p(gamma);
    double se = Math.sqrt(p * (1 - p) / n);
    double freq = wins / (double) n;
    assertTrue(Math.abs(freq - p) <= 3 * se, "MC " + freq + " vs quadrature " + p + " se " + se);
    assertTrue(p > 1.5 / v, "the clean token must beat chance at γ = 0: " + p);
  }

  @Test
  void cachedTableAgreesWithQuadrature() {
    GaussianDuality d = GaussianDuality.of(257);
    assertSame(d, GaussianDuality.of(257));
    for (double g = -7.9; g <= 11.9; g += 0.3131) {
      double[] lookup = d.alphaLookup(g);
      assertEquals(d.alpha(g), lookup[0], 1e-9, "gamma=" + g);
      assertEquals(d.dalphaDgamma(g), lookup[1], 1e-6, "gamma=" + g);
    }
    double[] outside = d.alphaLookup(-9);
    assertEquals(d.alpha(-9), outside[0], 0);
    assertThrows(IllegalArgumentException.class, () -> GaussianDuality.of(1));
    assertThrows(IllegalArgumentException.class, () -> d.p(Double.NaN));
  }
}
