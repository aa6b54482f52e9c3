package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MdlmNelboTest {
  // V = 5: real tokens {0, 1, 3, 4}; mask id 2 (not V - 1)
  static final int V = 5;
  static final int MASK = 2;
  static final int[] REAL = {0, 1, 3, 4};
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final double EXPECTED = (1 - 1e-3) * Math.log(4); // 1.384908

  static int[] uniformData(int batch, int length, long seed) {
    Random r = new Random(seed);
    int[] x0 = new int[batch * length];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = REAL[r.nextInt(4)];
    }
    return x0;
  }

  @Test
  void oracleContinuousTimeMonteCarlo() {
    assertEquals(1.384908, EXPECTED, 1e-6);
    MdlmFamily mdlm = new MdlmFamily();
    Denoiser uniform = TestDenoisers.uniform(V, MASK);
    int length = 8;
    int chunk = 20_000;
    Rng rng = new Rng(2026);
    TimeSampler times = new TimeSampler();
    NllSum total = new NllSum(0, 0);
    for (int c = 0; c < 10; c++) {
      int[] x0 = uniformData(chunk, length, c);
      double[] t = times.sampleEval(chunk, rng);
      total = total.plus(mdlm.nelbo(uniform, x0, chunk, length, t, SPECIALS, rng));
    }
    assertEquals(10L * chunk * length, total.tokens());
    assertEquals(EXPECTED, total.perToken(), 0.01 * EXPECTED);
  }

  @Test
  void oracleDiscreteTimeSum() {
    MdlmFamily mdlm = new MdlmFamily();
    int batch = 500;
    int length = 8;
    NllSum s =
        mdlm.nelboDiscrete(
            TestDenoisers.uniform(V, MASK),
            uniformData(batch, length, 5),
            batch,
            length,
            1000,
            SPECIALS,
            new Rng(9));
    assertEquals((long) batch * length, s.tokens());
    assertEquals(EXPECTED, s.perToken(), 0.01 * EXPECTED);
  }

  @Test
  void lossIsExactlyZeroWhenNothingIsMasked() {
    MdlmFamily mdlm = new MdlmFamily();
    int[] x0 = uniformData(4, 8, 1);
    Denoiser d = TestDenoisers.uniform(V, MASK);
    double[] t = {0.5, 0.9, 1.0, 0.001};
    assertEquals(0.0, mdlm.nelboAt(d, x0, x0.clone(), 4, 8, t, SPECIALS).nll(), 0.0);
    // t = 0: alpha = 1, nothing gets masked, weight 1/t = inf must not produce NaN
    NllSum atZero = mdlm.nelbo(d, x0, 4, 8, new double[4], SPECIALS, new Rng(3));
    assertEquals(0.0, atZero.nll(), 0.0);
    assertEquals(32, atZero.tokens());
  }

  @Test
  void subsGivesZeroMaskProbabilityAndCarryOver() {
    Logits logits =
        TestDenoisers.uniform(V, MASK)
            .forward(new dev.dllm.api.TokenBatch(new int[] {MASK, 3}, 1, 2), null);
    double[] p = Subs.probabilities(logits, 0, 0, MASK, MASK, new double[V]);
    assertEquals(0.0, p[MASK], 0.0);
    assertEquals(1.0, Arrays.stream(p).sum(), 1e-15);
    assertEquals(0.25, p[4], 1e-15);
    double[] carry = Subs.probabilities(logits, 0, 1, 3, MASK, new double[V]);
    assertArrayEquals(new double[] {0, 0, 0, 1, 0}, carry, 0.0);
    assertEquals(0.0, Subs.logProb(logits, 0, 1, 3, 3, MASK), 0.0);
  }

  @Test
  void nelboAtMatchesAHandComputedWeightedCrossEntropy() {
    int batch = 3;
    int length = 6;
    Random r = new Random(4);
    float[] values = new float[batch * length * V];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) r.nextGaussian() * 2;
    }
    int[] x0 = uniformData(batch, length, 8);
    int[] zt = x0.clone();
    for (int i = 0; i < zt.length; i += 2) {
      zt[i] = MASK;
    }
    double[] t = {0.1, 0.5, 0.97};
    double expected = 0;
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length; l++) {
        int i = b * length + l;
        if (zt[i] != MASK) {
          continue;
        }
        double z = 0;
        for (int v = 0; v < V; v++) {
          if (v != MASK) {
            z += Math.exp(values[i * V + v]);
          }
        }
        expected += (Math.log(z) - values[i * V + x0[i]]) / t[b];
      }
    }
    Denoiser d = TestDenoisers.fixed(new Logits(values, batch, length, V));
    NllSum s = new MdlmFamily().nelboAt(d, x0, zt, batch, length, t, SPECIALS);
    assertEquals(expected, s.nll(), 1e-10 * expected);
    assertEquals(batch * length, s.tokens());
  }

  @Test
  void corruptMasksWithProbabilityOneMinusAlphaAndNelboUsesIt() {
    MdlmFamily mdlm = new MdlmFamily();
    int batch = 2;
    int length = 50_000;
    int[] x0 = uniformData(batch, length, 2);
    double[] t = {0.3, 0.8};
    int[] zt = mdlm.corrupt(x0, batch, length, t, SPECIALS, new Rng(10));
    for (int b = 0; b < batch; b++) {
      int masked = 0;
      for (int l = 0; l < length; l++) {
        int i = b * length + l;
        if (zt[i] == MASK) {
          masked++;
        } else {
          assertEquals(x0[i], zt[i]);
        }
      }
      double p = (1 - 1e-3) * t[b];
      assertEquals(p, masked / (double) length, 5 * Math.sqrt(p * (1 - p) / length));
    }
    assertArrayEquals(zt, mdlm.corrupt(x0, batch, length, t, SPECIALS, new Rng(10)));
    // nelbo draws z_t with corrupt as its first use of rng
    Denoiser d = new TestDenoisers.Recording(V, MASK);
    NllSum viaNelbo = mdlm.nelbo(d, x0, batch, length, t, SPECIALS, new Rng(10));
    assertEquals(mdlm.nelboAt(d, x0, zt, batch, length, t, SPECIALS).nll(), viaNelbo.nll(), 0.0);
    assertTrue(viaNelbo.nll() > 0);
  }

  @Test
  void familyShapeRegistryAndErrors() {
    MdlmFamily mdlm = new MdlmFamily();
    assertEquals(new BackboneSpec(BackboneSpec.Attention.BIDIRECTIONAL, false), mdlm.backbone());
    assertEquals("log-linear", mdlm.schedule().name());
    assertInstanceOf(MdlmFamily.class, FamilyRegistry.load().get("mdlm"));
    assertThrows(
        InvalidInputException.class,
        () ->
            mdlm.corrupt(
                new int[2], 1, 2, new double[] {0.5}, new SpecialTokens(0, 1, -1, -1), new Rng(1)));
  }
}
