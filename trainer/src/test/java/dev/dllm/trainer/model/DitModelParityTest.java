package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** DJL backbone vs the independent float64 {@link ReferenceDit} on random non-zero weights. */
class DitModelParityTest {
  private static final int V = 37;
  private static final int B = 3;
  private static final int L = 12;

  private static DitConfig xxs(Attention a) {
    return new DitConfig(V, 64, 2, 2, 128, a, 0.0);
  }

  private static int[] randomTokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] ids = new int[B * L];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(V);
    }
    return ids;
  }

  private static long[] toLong(int[] a) {
    long[] o = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i];
    }
    return o;
  }

  private static double maxAbsDiff(float[] a, double[] b) {
    assertEquals(b.length, a.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  private static double maxAbs(double[] b) {
    double m = 0;
    for (double x : b) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  private void checkParity(Attention attention, long seed) {
    DitWeights w = DitInit.random(xxs(attention), seed, 0.25);
    int[] ids = randomTokens(seed + 1);
    float[] sigma = {0.3f, 1.7f, 4.0f};
    double[] expected =
        new ReferenceDit(w)
            .forward64(new TokenBatch(ids, B, L), new double[] {0.3f, 1.7f, 4.0f}, null, null);
    assertTrue(maxAbs(expected) > 0.5, "logits must be far from trivial, max " + maxAbs(expected));
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      NDArray logits =
          model.forward(m.create(toLong(ids), new Shape(B, L)), m.create(sigma, new Shape(B)));
      assertEquals(new Shape(B, L, V), logits.getShape());
      double diff = maxAbsDiff(logits.toFloatArray(), expected);
      assertTrue(diff <= 1e-4, attention + ": max abs diff " + diff);
    }
  }

  @Test
  void bidirectionalMatchesReference() {
    checkParity(Attention.BIDIRECTIONAL, 11);
  }

  @Test
  void causalMatchesReference() {
    checkParity(Attention.CAUSAL, 12);
  }

  @Test
  void causalOutputsDoNotSeeTheFuture() {
    DitWeights w = DitInit.random(xxs(Attention.CAUSAL), 5, 0.25);
    int[] ids = randomTokens(6);
    int[] changed = ids.clone();
    changed[L - 1] = (changed[L - 1] + 1) % V; // row 0, last position
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      float[] a = model.forward(m.create(toLong(ids), new Shape(B, L)), null).toFloatArray();
      float[] b = model.forward(m.create(toLong(changed), new Shape(B, L)), null).toFloatArray();
      float[] prefixA = java.util.Arrays.copyOf(a, (L - 1) * V);
      float[] prefixB = java.util.Arrays.copyOf(b, (L - 1) * V);
      assertArrayEquals(prefixA, prefixB);
      assertTrue(a[(L - 1) * V] != b[(L - 1) * V]);
    }
  }

  /** The Eso-LM hook: permuted rotary positions and an explicit random attention mask. */
  @Test
  void explicitPositionsAndMaskMatchReference() {
    DitWeights w = DitInit.random(xxs(Attention.SORTED_CAUSAL), 21, 0.25);
    int[] ids = randomTokens(22);
    SplittableRandom r = new SplittableRandom(23);
    int[] pos = new int[B * L];
    boolean[] allowed = new boolean[B * L * L];
    float[] bias = new float[B * L * L];
    for (int b = 0; b < B; b++) {
      int[] perm = new int[L];
      for (int i = 0; i < L; i++) {
        perm[i] = i;
      }
      for (int i = L - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      System.arraycopy(perm, 0, pos, b * L, L);
      for (int q = 0; q < L; q++) {
        for (int k = 0; k < L; k++) {
          int i = (b * L + q) * L + k;
          allowed[i] = q == k || r.nextDouble() < 0.5;
          bias[i] = allowed[i] ? 0f : DitModel.MASK_VALUE;
        }
      }
    }
    double[] sigma = {0.5, 0.0, 2.5};
    double[] expected =
        new ReferenceDit(w).forward64(new TokenBatch(ids, B, L), sigma, pos, allowed);
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      NDArray logits =
          model.forward(
              m.create(toLong(ids), new Shape(B, L)),
              m.create(new float[] {0.5f, 0f, 2.5f}, new Shape(B)),
              m.create(toLong(pos), new Shape(B, L)),
              m.create(bias, new Shape(B, 1, L, L)));
      double diff = maxAbsDiff(logits.toFloatArray(), expected);
      assertTrue(diff <= 1e-4, "max abs diff " + diff);
    }
  }

  /** Soft input: a (numerically) one-hot softmax equals the hard forward; a mixture is linear. */
  @Test
  void softInputMatchesHardInput() {
    DitWeights w = DitInit.random(xxs(Attention.BIDIRECTIONAL), 41, 0.25);
    int[] ids = randomTokens(42);
    float[] oneHot = new float[B * L * V];
    for (int i = 0; i < ids.length; i++) {
      oneHot[i * V + ids[i]] = 200f; // exp(-200) underflows to 0 in float32
    }
    double[] expected =
        new ReferenceDit(w)
            .forward64(new TokenBatch(ids, B, L), new double[] {0.3f, 1.7f, 4.0f}, null, null);
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      NDArray sigma = m.create(new float[] {0.3f, 1.7f, 4.0f}, new Shape(B));
      NDArray logits = model.forwardSoft(m.create(oneHot, new Shape(B, L, V)), sigma);
      assertTrue(maxAbsDiff(logits.toFloatArray(), expected) <= 1e-4);
      // Uniform weights: the input is the mean embedding row at every position.
      float[] e = w.get("vocab_embed.embedding").data();
      float[] mean = new float[B * L * 64];
      for (int p = 0; p < B * L; p++) {
        for (int j = 0; j < 64; j++) {
          double acc = 0;
          for (int v = 0; v < V; v++) {
            acc += e[v * 64 + j];
          }
          mean[p * 64 + j] = (float) (acc / V);
        }
      }
      float[] soft = model.forwardSoft(m.zeros(new Shape(B, L, V)), sigma).toFloatArray();
      float[] viaEmb =
          model
              .forwardEmbedded(m.create(mean, new Shape(B, L, 64)), sigma, null, null)
              .toFloatArray();
      double diff = 0;
      for (int i = 0; i < soft.length; i++) {
        diff = Math.max(diff, Math.abs(soft[i] - viaEmb[i]));
      }
      assertTrue(diff <= 1e-5, "max abs diff " + diff);
    }
  }

  @Test
  void dropoutActsOnlyWhenTraining() {
    DitConfig cfg = new DitConfig(V, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.5);
    DitWeights w = DitInit.random(cfg, 31, 0.25);
    int[] ids = randomTokens(32);
    double[] expected =
        new ReferenceDit(w).forward64(new TokenBatch(ids, B, L), new double[B], null, null);
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      NDArray t = m.create(toLong(ids), new Shape(B, L));
      assertTrue(maxAbsDiff(model.forward(t, null).toFloatArray(), expected) <= 1e-4);
      model.setTraining(true);
      assertTrue(maxAbsDiff(model.forward(t, null).toFloatArray(), expected) > 1e-2);
    }
  }

  @Test
  void referenceInitGivesZeroLogits() {
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.create(m, xxs(Attention.BIDIRECTIONAL), 1)) {
      float[] logits =
          model.forward(m.create(toLong(randomTokens(2)), new Shape(B, L)), null).toFloatArray();
      for (float f : logits) {
        assertEquals(0f, f);
      }
      assertEquals(
          dev.dllm.api.model.DitLayout.totalParams(model.config()),
          model.parameters().values().stream().mapToLong(a -> a.size()).sum());
    }
  }
}
