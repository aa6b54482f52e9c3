package dev.dllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WilsonIntervalTest {
  private static final double Z = 1.959963984540054;

  /**
   * The closed form as the roots of (p̂ − p)² = z² p (1 − p) / n, i.e. (1 + z²/n) p² − (2p̂ + z²/n)
   * p + p̂² = 0, solved independently of the implementation.
   */
  private static double[] roots(long k, long n) {
    double ph = (double) k / n;
    double a = 1 + Z * Z / n;
    double b = -(2 * ph + Z * Z / n);
    double c = ph * ph;
    double d = Math.sqrt(b * b - 4 * a * c);
    return new double[] {(-b - d) / (2 * a), (-b + d) / (2 * a)};
  }

  @Test
  void matchesTheQuadraticsRoots() {
    for (long[] kn : new long[][] {{7, 20}, {1, 1319}, {660, 1319}, {3, 10}, {99, 100}}) {
      double[] r = roots(kn[0], kn[1]);
      WilsonInterval w = WilsonInterval.of95(kn[0], kn[1]);
      assertEquals(r[0], w.low(), 1e-12, "low " + kn[0] + "/" + kn[1]);
      assertEquals(r[1], w.high(), 1e-12, "high " + kn[0] + "/" + kn[1]);
    }
  }

  @Test
  void knownValues() {
    // 7/20: 0.1812 - 0.5671 (standard tables)
    WilsonInterval w = WilsonInterval.of95(7, 20);
    assertEquals(0.18119, w.low(), 1e-4);
    assertEquals(0.56714, w.high(), 1e-4);
    // k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1]
    assertEquals(0, WilsonInterval.of95(0, 10).low(), 1e-15);
    assertEquals(Z * Z / (10 + Z * Z), WilsonInterval.of95(0, 10).high(), 1e-12);
    assertEquals(10 / (10 + Z * Z), WilsonInterval.of95(10, 10).low(), 1e-12);
    assertEquals(1, WilsonInterval.of95(10, 10).high(), 1e-15);
  }
}
