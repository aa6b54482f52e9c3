package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Rng;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link XBounds} and the bounded part decision of {@link DuoSampler#drawBounded}. */
class XBoundsTest {

  /** Rows of logits at several scales, with ties, huge spreads and a mask id. */
  private static float[] row(SplittableRandom r, int vocab, double scale) {
    float[] z = new float[vocab];
    for (int v = 0; v < vocab; v++) {
      z[v] = (float) (scale * r.nextGaussian());
    }
    if (r.nextInt(4) == 0) {
      z[r.nextInt(vocab)] = z[0]; // a tie
    }
    return z;
  }

  @Test
  void boundsContainTheFloat64ProbabilityAndAreTight() {
    SplittableRandom r = new SplittableRandom(3);
    double[] out = new double[2];
    for (int vocab : new int[] {2, 9, 69, 1000}) {
      for (double scale : new double[] {0.01, 1, 5, 40, 400}) {
        for (int trial = 0; trial < 300; trial++) {
          float[] z = row(r, vocab, scale);
          int mask = r.nextInt(3) == 0 ? -1 : r.nextInt(vocab);
          int zt = r.nextInt(vocab);
          XBounds.of(z, 0, vocab, mask, zt, out, 0);
          double x = DuoSampler.probabilityOf(z, 0, vocab, mask, zt);
          String what = "V " + vocab + " scale " + scale + " zt " + zt + " mask " + mask;
          assertTrue(XBounds.ok(out[0]), what);
          assertTrue(
              out[0] <= x && x <= out[1], what + ": " + out[0] + " <= " + x + " <= " + out[1]);
          if (x > 1e-200) {
            assertTrue(out[1] / out[0] < 1.02, what + ": width " + out[1] / out[0]);
          }
        }
      }
    }
  }

  @Test
  void nonFiniteLogitsGiveNoBounds() {
    double[] out = new double[2];
    XBounds.of(new float[] {0f, Float.NaN, 1f}, 0, 3, -1, 0, out, 0);
    assertFalse(XBounds.ok(out[0]));
    XBounds.of(new float[] {0f, Float.POSITIVE_INFINITY, 1f}, 0, 3, -1, 0, out, 0);
    assertFalse(XBounds.ok(out[0]));
  }

  /**
   * Wherever the bounds decide the part, it is the part the exact float64 x_θ(z_t) gives, and they
   * decide it almost always; the whole bounded draw equals the exact draw, uniforms included.
   */
  @Test
  void boundedPartIsTheExactPartAndDrawsMatch() {
    SplittableRandom r = new SplittableRandom(11);
    double[] out = new double[2];
    int decided = 0;
    int total = 0;
    for (int vocab : new int[] {2, 9, 69, 500}) {
      double[] buffer = new double[vocab];
      for (int trial = 0; trial < 1500; trial++) {
        float[] z = row(r, vocab, new double[] {0.1, 2, 8}[trial % 3]);
        int mask = r.nextInt(vocab);
        int zt = r.nextInt(vocab);
        double alphaT = Math.max(1e-4, r.nextDouble());
        double alphaS = trial % 7 == 0 ? 1.0 : alphaT + (1 - alphaT) * r.nextDouble();
        XBounds.of(z, 0, vocab, mask, zt, out, 0);
        double[] mLo = DuoMath.posteriorMasses(out[0], vocab, alphaT, alphaS);
        double[] mHi = DuoMath.posteriorMasses(out[1], vocab, alphaT, alphaS);
        double[] m =
            DuoMath.posteriorMasses(
                DuoSampler.probabilityOf(z, 0, vocab, mask, zt), vocab, alphaT, alphaS);
        for (int k = 0; k < 20; k++) {
          double u = r.nextDouble();
          int part = PosteriorPart.fromBounds(u, mLo, mHi);
          total++;
          if (part >= 0) {
            decided++;
            assertEquals(PosteriorPart.of(u, m), part, "V " + vocab + " trial " + trial);
          }
        }
        long seed = r.nextLong();
        Rng a = new Rng(seed);
        Rng b = new Rng(seed);
        assertEquals(
            DuoSampler.draw(z, 0, vocab, zt, mask, alphaT, alphaS, 1.0, a, buffer),
            DuoSampler.drawBounded(
                out[0], out[1], z, 0, vocab, zt, mask, alphaT, alphaS, b, buffer));
        assertEquals(a.nextLong(), b.nextLong(), "same number of uniforms used");
      }
    }
    assertTrue(decided > 0.95 * total, decided + " of " + total + " decided by the bounds");
  }

  /** Uniforms right at a decision boundary fall back to the exact value (never a wrong part). */
  @Test
  void uniformsAtTheBoundaryAreNotDecidedByTheBounds() {
    double[] m = DuoMath.posteriorMasses(0.3, 9, 0.4, 0.7);
    double a = m[0] + m[1];
    double uKeep = m[2] / (a + m[2]); // u·(A + M_e) = M_e
    for (double u : new double[] {Math.nextDown(uKeep), uKeep, Math.nextUp(uKeep)}) {
      assertEquals(-1, PosteriorPart.fromBounds(u, m, m));
    }
    double uUniform = (m[2] + m[1]) / (a + m[2]);
    assertEquals(-1, PosteriorPart.fromBounds(uUniform, m, m));
    assertEquals(PosteriorPart.of(0.01, m), PosteriorPart.fromBounds(0.01, m, m));
    assertEquals(PosteriorPart.of(0.999, m), PosteriorPart.fromBounds(0.999, m, m));
  }
}
