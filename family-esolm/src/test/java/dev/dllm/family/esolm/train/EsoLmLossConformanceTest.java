package dev.dllm.family.esolm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.family.esolm.EsoLmBatch;
import dev.dllm.family.esolm.EsoLmFamily;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The DJL loss on a batch's logits equals the float64 batch-split estimator. */
class EsoLmLossConformanceTest {
  static final int V = 9;
  static final int MASK = 8;
  static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, -1, MASK);

  static ReferenceDit dit(long seed) {
    DitConfig cfg = new DitConfig(V, 16, 2, 2, 8, Attention.SORTED_CAUSAL, 0.0);
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      for (int i = 0; i < n; i++) {
        d[i] = (float) (r.nextDouble() - 0.5);
      }
      m.put(e.getKey(), new Tensor(d, e.getValue()));
    }
    return new ReferenceDit(new DitWeights(cfg, m));
  }

  private static NDArray logits(
      NDManager m, ReferenceDit ref, int[] ids, int rows, int len, AttentionLayout layout) {
    Logits l = ref.forward(new TokenBatch(ids, rows, len), null, layout);
    return m.create(l.values(), new Shape(rows, len, V));
  }

  @Test
  void djlLossEqualsFloat64SplitLoss() {
    ReferenceDit ref = dit(3);
    int batch = 4;
    int len = 7;
    SplittableRandom r = new SplittableRandom(5);
    int[] x0 = new int[batch * len];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = r.nextInt(MASK);
    }
    double[] t = {0.15, 0.5, 0.8, 0.95};
    for (double alpha0 : new double[] {1.0, 0.5, 0.0}) {
      for (boolean lowVar : new boolean[] {false, true}) {
        EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
        double want =
            family.splitLoss(ref, x0, batch, len, t, SPECIALS, new Rng(11), lowVar).value();
        EsoLmBatch eb = EsoLmBatch.draw(family, x0, batch, len, t, SPECIALS, new Rng(11), lowVar);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
          int n = eb.diffusionRows();
          int a = eb.arRows();
          NDArray diff = null;
          if (n > 0) {
            NDArray lg = logits(m, ref, eb.diffusionInput(), n, len, eb.diffusionLayout());
            diff =
                EsoLmLoss.branchSum(
                    lg,
                    m.create(eb.diffusionTargets(), new Shape(n, len)),
                    m.create(eb.diffusionValid(), new Shape(n, len)),
                    m.create(eb.weights()),
                    MASK);
          }
          NDArray ar = null;
          if (a > 0) {
            NDArray lg = logits(m, ref, eb.arInput(), a, 2 * len, eb.arLayout());
            ar =
                EsoLmLoss.branchSum(
                    lg,
                    m.create(eb.arTargets(), new Shape(a, len)),
                    m.create(eb.arValid(), new Shape(a, len)),
                    null,
                    MASK);
          }
          float got =
              EsoLmLoss.combine(diff, m.create((float) n * len), ar, m.create((float) a * len))
                  .getFloat();
          assertTrue(want > 0);
          assertEquals(want, got, 1e-5 * want, "alpha_0 " + alpha0 + " low_var " + lowVar);
        }
      }
    }
  }
}
