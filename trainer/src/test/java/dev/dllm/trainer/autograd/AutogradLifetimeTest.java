package dev.dllm.trainer.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.model.DitModel;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 §1: nothing that autograd keeps for backward may be freed before backward. Builds the
 * graph, forces garbage collection (and lets the reference handler free unreachable direct buffers)
 * before {@code backward}, and compares every gradient with a run without it. glibc writes its
 * free-list pointer into a freed small chunk, so a freed scalar reads back as garbage.
 */
class AutogradLifetimeTest {
  private static final int V = 31;
  private static final int B = 4;
  private static final int L = 16;
  private static final int MASK = V - 1;

  /** Collects garbage until a fresh sentinel is gone, then gives the cleaner time to free. */
  static void forceGcAndCleaners() {
    for (int round = 0; round < 3; round++) {
      WeakReference<Object> sentinel = new WeakReference<>(new Object());
      while (sentinel.get() != null) {
        System.gc();
      }
      // garbage from the JNI side: small direct buffers become unreachable and are freed too
      List<java.nio.ByteBuffer> junk = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        junk.add(java.nio.ByteBuffer.allocateDirect(4));
      }
      junk.clear();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Map<String, float[]> gradients(String family, String objective, boolean gc) {
    DitConfig cfg =
        new DitConfig(
            V,
            64,
            2,
            2,
            128,
            family.equals("ar") ? Attention.CAUSAL : Attention.BIDIRECTIONAL,
            0.0);
    SplittableRandom r = new SplittableRandom(11);
    int[] x0 = new int[B * L];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = r.nextInt(V - 1);
    }
    TrainingObjective<NDArray> obj = Objectives.forFamily(family);
    Map<String, float[]> out = new LinkedHashMap<>();
    Engine.getInstance().setRandomSeed(5);
    try (NDManager root = NDManager.newBaseManager();
        DitModel model = DitModel.create(root, cfg, 3)) {
      // a trained-looking model: non-zero adaLN/output so every block's gradient is non-trivial
      for (NDArray p : model.parameters().values()) {
        p.addi(root.randomNormal(0f, 0.02f, p.getShape(), p.getDataType()));
      }
      try (NDManager sub = root.newSubManager()) {
        for (NDArray p : model.parameters().values()) {
          p.tempAttach(sub);
        }
        try (GradientCollector gc0 = Engine.getInstance().newGradientCollector();
            NDManager mm = sub.newSubManager()) {
          TrainingBatch batch =
              new TrainingBatch(
                  x0,
                  B,
                  L,
                  new double[] {0.2, 0.45, 0.7, 0.95},
                  new SpecialTokens(-1, -1, -1, MASK),
                  new Rng(9),
                  0,
                  1);
          NDArray loss = obj.loss(batch, new DjlBackbone(model, mm, null), objective);
          if (gc) {
            forceGcAndCleaners();
          }
          gc0.backward(loss);
        }
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          out.put(e.getKey(), e.getValue().getGradient().toFloatArray());
        }
      }
    }
    return out;
  }

  private static void assertSameGradients(String family, String objective) {
    Map<String, float[]> quiet = gradients(family, objective, false);
    Map<String, float[]> collected = gradients(family, objective, true);
    assertEquals(quiet.keySet(), collected.keySet());
    for (String name : quiet.keySet()) {
      assertArrayEquals(
          quiet.get(name),
          collected.get(name),
          family + "/" + objective + ": gradient of " + name + " changed after GC");
    }
  }

  @Test
  void mdlmGradientsSurviveGarbageCollectionBeforeBackward() {
    assertSameGradients("mdlm", "elbo");
    assertSameGradients("mdlm", "low_var");
  }

  @Test
  void arGradientsSurviveGarbageCollectionBeforeBackward() {
    assertSameGradients("ar", "ce");
  }

  /**
   * The harness detects the hazard: the same product with DJL's {@code Number} overload loses its
   * multiplier once garbage is collected before backward (d/dw of (w·w)·c is 2·w·c).
   */
  @Test
  void harnessDetectsAScalarFreedBeforeBackward() {
    float c = 0.75f;
    float[] w0 = {0.5f, -1.25f, 2f, 3.5f};
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(w0, new Shape(4));
      w.setRequiresGradient(true);
      try (NDManager step = m.newSubManager()) {
        w.tempAttach(step);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray y = w.mul(w).muli(c).sum(); // the unsafe overload, on purpose
          forceGcAndCleaners();
          gc.backward(y);
        }
        float[] g = w.getGradient().toFloatArray();
        boolean exact = true;
        for (int i = 0; i < w0.length; i++) {
          exact &= g[i] == 2 * w0[i] * c;
        }
        assertFalse(
            exact,
            "the freed scalar still read correctly: DJL may have stopped aliasing Number operands;"
                + " re-check issue 7 §1 before relaxing ConstantPool");
      }
    }
  }
}
