package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockKernel} (one TorchScript call per block, paired rotary) against the DJL formulation
 * of the same blocks ({@link DitModel#setReferenceBlocks}: DJL ops with the NeoX rotary attention
 * and GELU kernels, themselves checked against plain DJL ops in {@link FusedKernelsTest}): logits
 * and the gradient of every parameter agree to float32 rounding on random non-zero weights, for
 * bidirectional and causal attention, explicit positions with an explicit bias (Eso-LM) and
 * training-mode dropout (same masks: both draw from the default generator in the same order); a
 * repeated step is bit-identical.
 */
class BlockKernelTest {
  private static final int V = 31;
  private static final int B = 3;
  private static final int L = 10;

  /** Logits and all parameter gradients of Σ logits·w (w fixed random) as one float list each. */
  private static List<float[]> step(
      DitModel model, boolean reference, long[] ids, long[] positions, float[] bias) {
    model.setReferenceBlocks(reference);
    List<float[]> out = new ArrayList<>();
    try (NDManager s = NDManager.newBaseManager()) {
      for (NDArray p : model.parameters().values()) {
        p.tempAttach(s);
        p.getGradient().subi(p.getGradient());
      }
      NDArray tokens = s.create(ids, new Shape(B, L));
      NDArray sigma = s.create(new float[] {0.2f, 1.1f, 3.0f}, new Shape(B));
      NDArray pos = positions == null ? null : s.create(positions, new Shape(B, L));
      NDArray bs = bias == null ? null : s.create(bias, new Shape(B, 1, L, L));
      Engine.getInstance().setRandomSeed(11);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(tokens, sigma, pos, bs);
        NDArray w = s.create(weights(logits.getShape().size()), logits.getShape());
        out.add(logits.toFloatArray());
        gc.backward(logits.mul(w).sum());
      }
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        out.add(e.getValue().getGradient().toFloatArray());
      }
    }
    return out;
  }

  private static float[] weights(long n) {
    SplittableRandom r = new SplittableRandom(5);
    float[] w = new float[(int) n];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return w;
  }

  private static void assertAgree(List<float[]> expected, List<float[]> actual, double tol) {
    assertEquals(expected.size(), actual.size());
    for (int t = 0; t < expected.size(); t++) {
      float[] e = expected.get(t);
      float[] a = actual.get(t);
      assertEquals(e.length, a.length);
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < e.length; i++) {
        scale = Math.max(scale, Math.abs(e[i]));
        diff = Math.max(diff, Math.abs(e[i] - a[i]));
      }
      assertTrue(scale > 1e-3, "tensor " + t + " is trivial (max " + scale + ")");
      double rel = diff / Math.max(1.0, scale);
      assertTrue(rel <= tol, "tensor " + t + ": max abs diff " + diff + " at scale " + scale);
    }
  }

  private static long[] tokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] ids = new long[B * L];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(V);
    }
    return ids;
  }

  private static void check(Attention attention, double dropout, boolean explicit) {
    DitConfig cfg = new DitConfig(V, 64, 2, 2, 128, attention, dropout);
    DitWeights w = DitInit.random(cfg, 21, 0.25);
    long[] ids = tokens(3);
    long[] pos = null;
    float[] bias = null;
    if (explicit) {
      pos = new long[B * L];
      bias = new float[B * L * L];
      SplittableRandom r = new SplittableRandom(9);
      for (int i = 0; i < pos.length; i++) {
        pos[i] = r.nextInt(3 * L); // shuffled, beyond L
      }
      for (int i = 0; i < bias.length; i++) {
        bias[i] = r.nextInt(4) == 0 ? DitModel.MASK_VALUE : 0f;
      }
      for (int b = 0; b < B; b++) {
        for (int q = 0; q < L; q++) {
          bias[(b * L + q) * L + q] = 0f; // every query attends at least to itself
        }
      }
    }
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      model.setTraining(dropout > 0);
      List<float[]> expected = step(model, true, ids, pos, bias);
      List<float[]> fused = step(model, false, ids, pos, bias);
      assertAgree(expected, fused, 2e-5);
      List<float[]> again = step(model, false, ids, pos, bias);
      for (int t = 0; t < fused.size(); t++) {
        assertArrayEquals(fused.get(t), again.get(t), "repeat differs in tensor " + t);
      }
    }
  }

  @Test
  void bidirectionalBlocksMatchTheDjlFormulation() {
    check(Attention.BIDIRECTIONAL, 0.0, false);
  }

  @Test
  void causalBlocksMatchTheDjlFormulation() {
    check(Attention.CAUSAL, 0.0, false);
  }

  @Test
  void explicitPositionsAndBiasMatchTheDjlFormulation() {
    check(Attention.BIDIRECTIONAL, 0.0, true);
  }

  @Test
  void trainingDropoutDrawsTheSameMasks() {
    check(Attention.BIDIRECTIONAL, 0.2, false);
  }

  @Test
  void forwardLeavesNothingInTheModelsManager() {
    DitConfig cfg = new DitConfig(V, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.0);
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, DitInit.random(cfg, 4, 0.25))) {
      NDManager own = model.parameters().values().iterator().next().getManager();
      model.forward(m.create(tokens(1), new Shape(B, L)), null).close(); // caches the tables
      int before = ((ai.djl.ndarray.BaseNDManager) own).getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        try (NDManager s = NDManager.newBaseManager()) {
          model.forward(s.create(tokens(2 + i), new Shape(B, L)), null);
        }
      }
      assertEquals(before, ((ai.djl.ndarray.BaseNDManager) own).getManagedArrays().size());
    }
  }

  @Test
  void pairTableInterleavesCosAndSinOfEachAngle() {
    int dh = 8;
    float[] t = AttentionTables.pairTable(5, dh);
    for (int p = 0; p < 5; p++) {
      for (int i = 0; i < dh / 2; i++) {
        double angle = p * Math.pow(DitModel.ROTARY_BASE, -2.0 * i / dh);
        assertEquals((float) Math.cos(angle), t[p * dh + 2 * i]);
        assertEquals((float) Math.sin(angle), t[p * dh + 2 * i + 1]);
      }
    }
  }
}
