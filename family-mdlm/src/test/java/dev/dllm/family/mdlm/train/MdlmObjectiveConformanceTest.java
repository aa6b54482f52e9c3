package dev.dllm.family.mdlm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.mdlm.MdlmFamily;
import dev.dllm.family.mdlm.TestDenoisers;
import java.util.List;
import java.util.Random;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class MdlmObjectiveConformanceTest {
  static final int B = 4;
  static final int L = 9;
  static final int V = 13;
  static final int MASK = 6;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  final Random r = new Random(31);
  final float[] values = new float[B * L * V];
  final int[] x0 = new int[B * L];
  final double[] t = {0.05, 0.3, 0.62, 0.999};

  MdlmObjectiveConformanceTest() {
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (3 * r.nextGaussian());
    }
    for (int i = 0; i < x0.length; i++) {
      int v = r.nextInt(V - 1);
      x0[i] = v >= MASK ? v + 1 : v;
    }
  }

  Denoiser fixed() {
    return TestDenoisers.fixed(new Logits(values, B, L, V));
  }

  float djlLoss(int[] zt, String objective) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.create(values, new Shape(B, L, V));
      NDArray x = m.create(x0, new Shape(B, L));
      NDArray z = m.create(zt, new Shape(B, L));
      NDArray time = m.create(t);
      return new MdlmObjective().loss(logits, x, z, time, MASK, objective).getFloat();
    }
  }

  @Test
  void elboLossTimesPositionsEqualsFloat64Nelbo() {
    MdlmFamily mdlm = new MdlmFamily();
    NllSum ref = mdlm.nelbo(fixed(), x0, B, L, t, SPECIALS, new Rng(77));
    int[] zt = mdlm.corrupt(x0, B, L, t, SPECIALS, new Rng(77));
    assertEquals(B * L, ref.tokens());
    assertTrue(ref.nll() > 0);
    double djl = djlLoss(zt, "elbo") * (double) ref.tokens();
    assertEquals(ref.nll(), djl, 1e-4 * ref.nll());
  }

  @Test
  void lowVarIsUnweightedMaskedCrossEntropyOverAllPositions() {
    int[] zt = new MdlmFamily().corrupt(x0, B, L, t, SPECIALS, new Rng(5));
    // independent: every masked position with weight 1, via the float64 nelboAt at t = 1 (w = 1)
    double[] ones = {1, 1, 1, 1};
    double expected =
        new MdlmFamily().nelboAt(fixed(), x0, zt, B, L, ones, SPECIALS).nll() / (B * L);
    assertEquals(expected, djlLoss(zt, "low_var"), 1e-4 * expected);
  }

  @Test
  void gradientMatchesTheClosedForm() {
    int[] zt = new MdlmFamily().corrupt(x0, B, L, t, SPECIALS, new Rng(77));
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.create(values, new Shape(B, L, V));
      logits.setRequiresGradient(true);
      try (ai.djl.training.GradientCollector gc =
          ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        NDArray loss =
            new MdlmObjective()
                .loss(
                    logits,
                    m.create(x0, new Shape(B, L)),
                    m.create(zt, new Shape(B, L)),
                    m.create(t),
                    MASK,
                    "elbo");
        gc.backward(loss);
      }
      float[] grad = logits.getGradient().toFloatArray();
      // d loss / d logit_v = w / (B L) * (p_v - 1[v = x0]) at masked positions (p over v != mask),
      // 0 at unmasked positions and 0 for the mask logit
      int checked = 0;
      for (int b = 0; b < B; b++) {
        for (int l = 0; l < L; l++) {
          int i = b * L + l;
          double z = 0;
          for (int v = 0; v < V; v++) {
            z += v == MASK ? 0 : Math.exp(values[i * V + v]);
          }
          for (int v = 0; v < V; v++) {
            double expected = 0;
            if (zt[i] == MASK && v != MASK) {
              double p = Math.exp(values[i * V + v]) / z;
              expected = (p - (v == x0[i] ? 1 : 0)) / t[b] / (B * L);
              checked++;
            }
            assertEquals(expected, grad[i * V + v], 1e-5, "b=" + b + " l=" + l + " v=" + v);
          }
        }
      }
      assertTrue(checked > 0);
    }
  }

  @Test
  void zeroWhenNothingIsMasked() {
    assertEquals(0f, djlLoss(x0.clone(), "elbo"), 0f);
    assertEquals(0f, djlLoss(x0.clone(), "low_var"), 0f);
  }

  @Test
  void registeredWithElboFirstAndRejectsUnknown() {
    boolean found = false;
    for (TrainingObjective<?> o : ServiceLoader.load(TrainingObjective.class)) {
      if (o instanceof MdlmObjective) {
        found = true;
        assertEquals(List.of("elbo", "low_var"), List.copyOf(o.objectives()));
        assertEquals("mdlm", o.family());
      }
    }
    assertTrue(found);
    assertThrows(InvalidInputException.class, () -> djlLoss(x0.clone(), "ce"));
  }
}
