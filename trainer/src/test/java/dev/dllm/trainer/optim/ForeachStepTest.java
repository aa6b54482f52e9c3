package dev.dllm.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The multi-tensor AdamW (torch._fused_adamw_), EMA and clip (torch._foreach_*) against their
 * per-tensor DJL formulations, on random tensors over several steps of a warmup + cosine schedule
 * with weight decay and bias correction: EMA and clip agree bit for bit, the fused AdamW's
 * parameters and moments to float32 rounding (1e-6 relative; the fused kernel orders the update's
 * operations differently).
 */
class ForeachStepTest {
  private static final List<Shape> SHAPES =
      List.of(new Shape(7, 5), new Shape(5), new Shape(3, 4, 2), new Shape(1));

  @Test
  void fusedAdamWEmaAndClipEqualThePerTensorOps() {
    AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
    WarmupCosineLr lr = new WarmupCosineLr(3e-2, 3e-3, 2, 6);
    try (NDManager manager = NDManager.newBaseManager()) {
      Random rnd = new Random(20);
      Map<String, NDArray> fused = params(manager, rnd);
      Map<String, NDArray> ref = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : fused.entrySet()) {
        NDArray c = e.getValue().duplicate();
        c.setRequiresGradient(true);
        ref.put(e.getKey(), c);
      }
      try (AdamW a = new AdamW(manager, cfg, fused);
          AdamW b = new AdamW(manager, cfg, ref);
          Ema ea = new Ema(manager, 0.9, fused);
          Ema eb = new Ema(manager, 0.9, ref)) {
        for (int s = 0; s < 6; s++) {
          Map<String, float[]> coef = new LinkedHashMap<>();
          for (Map.Entry<String, NDArray> e : fused.entrySet()) {
            float[] c = new float[(int) e.getValue().size()];
            for (int i = 0; i < c.length; i++) {
              c[i] = (float) (rnd.nextGaussian() * (s + 1));
            }
            coef.put(e.getKey(), c);
          }
          backward(manager, fused, coef);
          backward(manager, ref, coef);
          double nf = GradClip.clip(fused.values(), 1.0);
          double nr = GradClip.globalNormPerTensor(ref.values());
          assertEquals(nr, nf, 0.0, "global norm, step " + s);
          assertTrue(nr > 1, "the clip must scale at step " + s);
          for (NDArray p : ref.values()) {
            try (NDArray g = p.getGradient()) {
              g.muli((float) (1.0 / (nr + 1e-6)));
            }
          }
          a.step(fused, lr.at(s));
          b.stepPerTensor(ref, lr.at(s));
          for (String name : fused.keySet()) {
            assertClose(
                ref.get(name).toFloatArray(),
                fused.get(name).toFloatArray(),
                "param " + name + " step " + s);
            // from here on both sides hold the same parameters: the EMA must agree bit for bit
            ref.get(name).set(fused.get(name).toFloatArray());
          }
          ea.update(fused);
          eb.updatePerTensor(ref);
          for (String name : fused.keySet()) {
            assertBits(eb.shadow().get(name), ea.shadow().get(name), "ema " + name + " step " + s);
            assertArrayEquals(
                new float[(int) fused.get(name).size()],
                fused.get(name).getGradient().toFloatArray(),
                "gradient zeroed");
          }
          for (Map.Entry<String, ai.djl.ndarray.NDArray> e : fused.entrySet()) {
            for (String prefix : List.of(AdamW.M_PREFIX, AdamW.V_PREFIX)) {
              assertClose(
                  b.stateTensors().get(prefix + e.getKey()).data(),
                  a.stateTensors().get(prefix + e.getKey()).data(),
                  prefix + e.getKey());
            }
          }
        }
        assertEquals(6, a.stepCount());
      }
    }
  }

  private static Map<String, NDArray> params(NDManager manager, Random rnd) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    int i = 0;
    for (Shape s : SHAPES) {
      float[] data = new float[(int) s.size()];
      for (int k = 0; k < data.length; k++) {
        data[k] = (float) rnd.nextGaussian();
      }
      NDArray p = manager.create(data, s);
      p.setRequiresGradient(true);
      out.put("p" + i++, p);
    }
    return out;
  }

  /** loss = Σ c · p, so each gradient is c. */
  private static void backward(
      NDManager manager, Map<String, NDArray> params, Map<String, float[]> coef) {
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = null;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray p = e.getValue();
        NDArray t = p.mul(manager.create(coef.get(e.getKey()), p.getShape())).sum();
        loss = loss == null ? t : loss.add(t);
      }
      gc.backward(loss);
    }
  }

  /** |e − a| ≤ 1e-6 · max(1, |e|) elementwise. */
  private static void assertClose(float[] e, float[] a, String what) {
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      double tol = 1e-6 * Math.max(1.0, Math.abs(e[i]));
      assertEquals(e[i], a[i], tol, what + " element " + i);
    }
  }

  private static void assertBits(NDArray expected, NDArray actual, String what) {
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      assertEquals(
          Float.floatToRawIntBits(e[i]),
          Float.floatToRawIntBits(a[i]),
          what + " element " + i + ": " + e[i] + " vs " + a[i]);
    }
  }
}
