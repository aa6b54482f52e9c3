package dev.dllm.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.dllm.api.model.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

  /** loss = sum(c * p) has gradient c; two steps are checked against the formula in float64. */
  @Test
  void twoStepsMatchHandComputation() {
    double[] p0 = {0.5, -1.0, 2.0};
    double[][] grads = {{0.3, -0.2, 1.5}, {-0.1, 0.4, 0.05}};
    double lr = 0.1;
    AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.create(new float[] {0.5f, -1.0f, 2.0f});
      p.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", p);
      try (AdamW opt = new AdamW(manager, cfg, params)) {
        double[] m = new double[3];
        double[] v = new double[3];
        double[] expected = p0.clone();
        for (int n = 1; n <= 2; n++) {
          float[] c = toFloat(grads[n - 1]);
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(p.mul(manager.create(c)).sum());
          }
          assertArrayEquals(c, p.getGradient().toFloatArray(), 1e-7f);
          opt.step(params, lr);
          for (int i = 0; i < 3; i++) {
            double g = grads[n - 1][i];
            expected[i] *= 1 - lr * cfg.weightDecay();
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.95 * v[i] + 0.05 * g * g;
            double mHat = m[i] / (1 - Math.pow(0.9, n));
            double vHat = v[i] / (1 - Math.pow(0.95, n));
            expected[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
          }
          float[] got = p.toFloatArray();
          for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], got[i], 1e-6, "step " + n + " element " + i);
          }
          assertArrayEquals(new float[3], p.getGradient().toFloatArray(), "gradient zeroed");
        }
        Map<String, Tensor> state = opt.stateTensors();
        float[] mSaved = state.get("exp_avg.w").data();
        for (int i = 0; i < 3; i++) {
          assertEquals(m[i], mSaved[i], 1e-7);
        }
        assertEquals(2, opt.stepCount());
      }
    }
  }

  @Test
  void stateRoundTripsExactly() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.randomNormal(new ai.djl.ndarray.types.Shape(4, 3));
      p.setRequiresGradient(true);
      Map<String, NDArray> params = Map.of("w", p);
      try (AdamW a = new AdamW(manager, AdamWConfig.PAPER, params);
          AdamW b = new AdamW(manager, AdamWConfig.PAPER, params)) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(p.square().sum());
        }
        a.step(params, 1e-2);
        b.load(a.stateTensors(), a.stepCount());
        assertArrayEquals(
            a.stateTensors().get("exp_avg_sq.w").data(),
            b.stateTensors().get("exp_avg_sq.w").data());
        assertEquals(1, b.stepCount());
      }
    }
  }

  private static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}
