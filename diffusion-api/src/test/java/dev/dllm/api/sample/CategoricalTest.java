package dev.dllm.api.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CategoricalTest {

  @Test
  void float64TailTokenWinsWithInjectedUniforms() {
    double[] p = MaskedSoftmax.softmax(new float[] {0f, -20f}, 0, 2, -1, new double[2]);
    double uHead = 0.5;
    double uTail = 1 - Math.pow(2, -40);
    // q_tail / E_tail = 2.06e-9 / 9.1e-13 ~ 2267 > q_head / E_head = 1 / ln 2 ~ 1.44
    assertEquals(1, Categorical.sample(p, new double[] {uHead, uTail}));
    // the same draw with a float32 uniform: (float) uTail == 1, so E_tail = 0 cannot be formed and
    // the tail loses; this is what a float32 noise path does
    assertEquals(1.0f, (float) uTail);
    assertEquals(0, Categorical.sample(p, new double[] {uHead, (float) uTail}));
  }

  @Test
  void samplerUniformsCarryMoreThan24Bits() {
    Rng rng = new Rng(7);
    int fine = 0;
    int n = 1_000_000;
    for (int i = 0; i < n; i++) {
      double scaled = rng.uniform() * (1 << 24);
      if (scaled != Math.rint(scaled)) {
        fine++;
      }
    }
    assertTrue(fine >= 0.99 * n, "only " + fine + " of " + n + " uniforms have bits below 2^-24");
  }

  @Test
  void frequenciesMatchUnnormalisedWeights() {
    double[] q = {0.2, 0.0, 1.0, 0.8}; // sum 2.0 -> 0.1, 0, 0.5, 0.4
    double[] expected = {0.1, 0.0, 0.5, 0.4};
    int n = 200_000;
    int[] counts = new int[4];
    Rng rng = new Rng(11);
    for (int i = 0; i < n; i++) {
      counts[Categorical.sample(q, 0, 4, rng)]++;
    }
    assertEquals(0, counts[1]);
    for (int v = 0; v < 4; v++) {
      double sd = Math.sqrt(expected[v] * (1 - expected[v]) / n);
      assertEquals(expected[v], counts[v] / (double) n, 5 * sd + 1e-12, "token " + v);
    }
  }

  @Test
  void offsetSelectsTheRow() {
    double[] q = {5, 0, 0, 0, 0, 1};
    Rng rng = new Rng(3);
    for (int i = 0; i < 100; i++) {
      assertEquals(2, Categorical.sample(q, 3, 3, rng));
    }
  }

  @Test
  void sameSeedSameDraws() {
    double[] q = {0.3, 0.3, 0.4};
    Rng a = new Rng(5);
    Rng b = new Rng(5);
    for (int i = 0; i < 1000; i++) {
      assertEquals(Categorical.sample(q, 0, 3, a), Categorical.sample(q, 0, 3, b));
    }
  }

  /** The plain ratio-form draw on unnormalised exp(z - max), for the fast path to match. */
  private static int slowLogits(float[] z, int offset, int n, int mask, Rng rng) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < n; v++) {
      if (v != mask) {
        max = Math.max(max, z[offset + v]);
      }
    }
    double[] q = new double[n];
    for (int v = 0; v < n; v++) {
      q[v] = v == mask ? 0 : Math.exp(z[offset + v] - max);
    }
    return Categorical.sample(q, 0, n, rng);
  }

  @Test
  void logitsFastPathIsTheExactSameDraw() {
    java.util.Random r = new java.util.Random(2);
    int n = 300;
    float[] z = new float[2 * n];
    double[] scratch = new double[n];
    for (int trial = 0; trial < 400; trial++) {
      double scale = trial % 4 == 0 ? 0.01 : trial % 4 == 1 ? 1 : trial % 4 == 2 ? 5 : 30;
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) (scale * r.nextGaussian());
      }
      if (trial % 7 == 0) {
        java.util.Arrays.fill(z, 3.5f); // all tied
      }
      int mask = trial % 3 == 0 ? -1 : r.nextInt(n);
      Rng a = new Rng(trial);
      Rng b = new Rng(trial);
      for (int k = 0; k < 20; k++) {
        assertEquals(
            slowLogits(z, n, n, mask, a),
            Categorical.sampleLogits(z, n, n, mask, b, scratch),
            "trial " + trial + " draw " + k);
      }
    }
  }

  @Test
  void logitsFastPathFrequencies() {
    float[] z = {0f, (float) Math.log(3), 50f, (float) Math.log(6)}; // mask id 2
    double[] expected = {0.1, 0.3, 0.0, 0.6};
    int n = 200_000;
    int[] counts = new int[4];
    Rng rng = new Rng(13);
    double[] scratch = new double[4];
    for (int i = 0; i < n; i++) {
      counts[Categorical.sampleLogits(z, 0, 4, 2, rng, scratch)]++;
    }
    assertEquals(0, counts[2]);
    for (int v = 0; v < 4; v++) {
      double sd = Math.sqrt(expected[v] * (1 - expected[v]) / n);
      assertEquals(expected[v], counts[v] / (double) n, 5 * sd + 1e-12, "token " + v);
    }
  }
}
