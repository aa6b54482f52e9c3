package dev.dllm.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradClipTest {

  /** loss = sum(c_a * a) + sum(c_b * b): gradients c_a, c_b with a known global norm. */
  private static List<NDArray> withGradients(NDManager m, float[] ca, float[] cb) {
    NDArray a = m.zeros(new ai.djl.ndarray.types.Shape(ca.length));
    NDArray b = m.zeros(new ai.djl.ndarray.types.Shape(cb.length));
    a.setRequiresGradient(true);
    b.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(a.mul(m.create(ca)).sum().add(b.mul(m.create(cb)).sum()));
    }
    return List.of(a, b);
  }

  @Test
  void largeGradientsAreScaledToNormOne() {
    try (NDManager m = NDManager.newBaseManager()) {
      // norm = sqrt(9 + 16 + 144) = 13, with negative entries (DJL's clip would miss those)
      List<NDArray> ps = withGradients(m, new float[] {3, -4}, new float[] {-12});
      double before = GradClip.clip(ps, 1.0);
      assertEquals(13.0, before, 1e-6);
      double after = GradClip.globalNorm(ps);
      assertTrue(after <= 1.0 + 1e-6, "norm after clipping " + after);
      assertEquals(1.0, after, 1e-5);
      assertArrayEquals(
          new float[] {3f / 13, -4f / 13}, ps.get(0).getGradient().toFloatArray(), 1e-6f);
    }
  }

  @Test
  void smallGradientsAreUntouched() {
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> ps = withGradients(m, new float[] {0.3f, -0.4f}, new float[] {0});
      assertEquals(0.5, GradClip.clip(ps, 1.0), 1e-6);
      assertArrayEquals(new float[] {0.3f, -0.4f}, ps.get(0).getGradient().toFloatArray());
    }
  }
}
