package dev.dllm.family.duo.curriculum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Rng;
import dev.dllm.family.duo.GaussianDuality;
import dev.dllm.family.duo.NormalTail;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.hipparchus.distribution.continuous.NormalDistribution;
import org.hipparchus.special.Erf;
import org.junit.jupiter.api.Test;

class CurriculumTest {

  @Test
  void tauScheduleIsLinearInLog10BetweenStartAndEnd() {
    TauSchedule s = new TauSchedule(-1, -2, 100, 200);
    assertEquals(-1, s.log10Tau(0), 0);
    assertEquals(-1, s.log10Tau(100), 0);
    assertEquals(-1.5, s.log10Tau(150), 1e-15);
    assertEquals(-2, s.log10Tau(200), 0);
    assertEquals(TauSchedule.AFTER_LOG10, s.log10Tau(201), 0);
    assertEquals(0.1, s.tau(50), 1e-15);
    assertTrue(s.active(200));
    assertFalse(s.active(201));
    TauSchedule owt = new TauSchedule(-3, -3, 0, 500_000);
    assertEquals(1e-3, owt.tau(123_456), 1e-18);
    assertThrows(IllegalArgumentException.class, () -> new TauSchedule(-1, -2, 5, 4));
  }

  @Test
  void gammaBandUsesTheDualityAndTheChainRule() {
    GammaBand band = new GammaBand(-3.55, -1.85, 50257);
    assertEquals(-3.55, band.gamma(0), 1e-15);
    assertEquals(-1.85, band.gamma(1), 1e-15);
    double[] at0 = band.at(0);
    assertEquals(0.945474, at0[0], 1e-6);
    assertEquals(0.0493176, band.at(1)[0], 1e-7);
    double t = 0.37;
    double h = 1e-5;
    double fd = (band.at(t + h)[0] - band.at(t - h)[0]) / (2 * h);
    assertEquals(fd, band.at(t)[1], 1e-6 * Math.abs(fd));
    double[] a = band.at(t);
    assertEquals(1.0, a[2] * a[2] + a[3] * a[3], 1e-15); // variance preserving
    assertEquals(Math.exp(-band.gamma(t)), a[2] * a[2] / (a[3] * a[3]), 1e-12); // SNR = e^-γ
  }

  @Test
  void upperQuantileInvertsTheTailAgainstHipparchus() {
    NormalDistribution normal = new NormalDistribution(0, 1);
    for (double q : new double[] {1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9}) {
      double z = NormalTail.upperQuantileLog(Math.log(q));
      // Hipparchus' inverse is an approximation (~3e-6 at q = 1e-12); its erfc is accurate
      assertEquals(-normal.inverseCumulativeProbability(q), z, 1e-5, "q=" + q);
      assertEquals(q, 0.5 * Erf.erfc(z / Math.sqrt(2)), 1e-10 * q, "q=" + q);
    }
    for (double lq : new double[] {-700, -5000, -1e-12}) {
      double z = NormalTail.upperQuantileLog(lq);
      assertEquals(lq, NormalTail.logCdf(-z), 1e-12 * Math.abs(lq), "log q=" + lq);
    }
  }

  /** P(argmax w = x) = P(γ) and the other ids are uniform: the top-k draw is the dense one. */
  @Test
  void argmaxOfTheTopKLatentIsUniformStateWithAlphaOfGamma() {
    int v = 1000;
    double gamma = 0;
    double signal = Math.sqrt(1 / (1 + Math.exp(gamma)));
    double noise = Math.sqrt(1 / (1 + Math.exp(-gamma)));
    int n = 100_000;
    Rng rng = new Rng(5);
    int wins = 0;
    int low = 0; // argmax among ids < 500 other than x
    for (int i = 0; i < n; i++) {
      int z = TopKLatent.sample(7, v, 1, signal, noise, 1e-3, rng).argmax();
      wins += z == 7 ? 1 : 0;
      low += z != 7 && z < 500 ? 1 : 0;
    }
    double p = GaussianDuality.of(v).p(gamma);
    double se = Math.sqrt(p * (1 - p) / n);
    assertEquals(p, wins / (double) n, 3 * se);
    double lose = n - wins;
    assertEquals(499.0 / 999, low / lose, 4 * Math.sqrt(0.25 / lose));
  }

  /** The order statistics against brute-force maxima: P(M1 <= m) = Φ(m)^n and the 2nd max. */
  @Test
  void orderStatisticsMatchBruteForce() {
    int v = 51; // n = 50 noise coordinates
    int draws = 20_000;
    double m = 2.2;
    Rng rng = new Rng(9);
    int firstBelow = 0;
    int secondBelow = 0;
    for (int i = 0; i < draws; i++) {
      // signal far below: the clean coordinate never enters the top 2
      TopKLatent.Sample s = TopKLatent.sample(0, v, 2, -100, 1, 1, rng);
      firstBelow += s.logits()[0] <= m ? 1 : 0;
      secondBelow += s.logits()[1] <= m ? 1 : 0;
      assertTrue(s.ids()[0] != 0 && s.ids()[1] != 0 && s.ids()[0] != s.ids()[1]);
    }
    double phi = Math.exp(NormalTail.logCdf(m));
    double p1 = Math.pow(phi, 50);
    double p2 = p1 + 50 * Math.pow(phi, 49) * (1 - phi);
    assertEquals(p1, firstBelow / (double) draws, 4 * Math.sqrt(p1 * (1 - p1) / draws));
    assertEquals(p2, secondBelow / (double) draws, 4 * Math.sqrt(p2 * (1 - p2) / draws));
  }

  @Test
  void truncatedNormalTailMeanMatchesMonteCarlo() {
    SplittableRandom r = new SplittableRandom(1);
    double c = 1.3;
    double m = 0.4;
    double sum = 0;
    int count = 0;
    while (count < 200_000) {
      double e = r.nextGaussian();
      if (e < m) {
        sum += Math.exp(c * e);
        count++;
      }
    }
    assertEquals(Math.log(sum / count), TopKLatent.tailLogMeanExp(c, m), 5e-3);
    // far tail (tau = 1e-3: c ~ 700) stays finite in log space
    assertTrue(Double.isFinite(TopKLatent.tailLogMeanExp(700, 3.5)));
  }

  @Test
  void keepingAllCoordinatesHasNoTailAndWeightsSumToOne() {
    TopKLatent.Sample s = TopKLatent.sample(2, 6, 10, 0.8, 0.6, 0.5, new Rng(3));
    assertEquals(6, s.ids().length);
    int[] sorted = s.ids().clone();
    Arrays.sort(sorted);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, sorted);
    assertEquals(Double.NEGATIVE_INFINITY, s.tailLogSumExp(), 0);
    assertEquals(1.0, Arrays.stream(s.weights()).sum(), 1e-12);
    for (int i = 1; i < s.logits().length; i++) {
      assertTrue(s.logits()[i - 1] >= s.logits()[i]);
    }
    TopKLatent.Sample part = TopKLatent.sample(2, 50257, 8, 0.8, 0.6, 1e-3, new Rng(3));
    double mass = Arrays.stream(part.weights()).sum();
    assertTrue(mass > 0.99 && mass <= 1, "kept mass " + mass);
  }
}
