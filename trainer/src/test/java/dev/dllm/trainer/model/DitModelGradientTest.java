package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Backward through {@link DitModel}: every gradient is finite and non-zero, SGD reduces loss. */
class DitModelGradientTest {
  private static final int V = 29;
  private static final int B = 4;
  private static final int L = 16;

  /** Mean cross-entropy of logits [B, L, V] against targets [B, L], in nats/token. */
  private static NDArray crossEntropy(NDArray logits, NDArray targets) {
    NDArray logp = logits.logSoftmax(-1);
    return logp.gather(targets.expandDims(-1), -1).mean().neg();
  }

  @Test
  void gradientsAreFiniteNonZeroAndSgdReducesLoss() {
    DitConfig cfg = new DitConfig(V, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.0);
    SplittableRandom r = new SplittableRandom(3);
    long[] x = new long[B * L];
    long[] y = new long[B * L];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(V);
      y[i] = r.nextInt(V);
    }
    float lr = 0.05f;
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.create(m, cfg, 7)) {
      double first = Double.NaN;
      double last = Double.NaN;
      for (int step = 0; step < 8; step++) {
        try (NDManager sub = m.newSubManager()) {
          for (NDArray p : model.parameters().values()) {
            p.tempAttach(sub);
          }
          // Inputs in the step's manager: activations attach to the tokens' manager.
          NDArray tokens = sub.create(x, new Shape(B, L));
          NDArray targets = sub.create(y, new Shape(B, L));
          NDArray sigma = sub.create(new float[] {0.1f, 0.5f, 1f, 2f}, new Shape(B));
          double loss;
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = crossEntropy(model.forward(tokens, sigma), targets);
            gc.backward(l);
            loss = l.getFloat();
          }
          if (step == 0) {
            first = loss;
          }
          last = loss;
          // Zero init: step 0 only reaches the head; step 1 the adaLN and gates; from step 2 on
          // every parameter (the sigma MLP, attention and MLP weights too) must get a gradient.
          for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray g = e.getValue().getGradient();
            float[] gv = g.toFloatArray();
            double norm = 0;
            for (float v : gv) {
              assertTrue(Float.isFinite(v), e.getKey() + " has a non-finite gradient");
              norm += v * v;
            }
            if (step >= 2) {
              assertTrue(norm > 0, e.getKey() + " has a zero gradient at step " + step);
            }
          }
          for (NDArray p : model.parameters().values()) {
            p.subi(p.getGradient().mul(lr));
          }
        }
      }
      assertTrue(last < first - 0.05, "loss " + first + " -> " + last);
      assertTrue(Math.abs(first - Math.log(V)) < 1e-5, "zero-init loss is ln V, got " + first);
    }
  }

  /**
   * Autograd vs a central finite difference along a random direction of every parameter at once, on
   * random non-zero weights with causal attention (checks the in-place steps of the forward).
   */
  @Test
  void gradientMatchesFiniteDifference() {
    DitConfig cfg = new DitConfig(V, 64, 2, 2, 128, Attention.CAUSAL, 0.0);
    SplittableRandom r = new SplittableRandom(9);
    long[] x = new long[2 * 8];
    long[] y = new long[2 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(V);
      y[i] = r.nextInt(V);
    }
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, DitInit.random(cfg, 10, 0.2))) {
      NDArray tokens = m.create(x, new Shape(2, 8));
      NDArray targets = m.create(y, new Shape(2, 8));
      NDArray sigma = m.create(new float[] {0.4f, 2f}, new Shape(2));
      double directional = 0;
      Map<String, float[]> dir = new java.util.LinkedHashMap<>();
      try (NDManager sub = m.newSubManager()) {
        for (NDArray p : model.parameters().values()) {
          p.tempAttach(sub);
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(crossEntropy(model.forward(tokens, sigma), targets));
        }
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          float[] g = e.getValue().getGradient().toFloatArray();
          float[] d = new float[g.length];
          for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextDouble() - 0.5);
            directional += (double) d[i] * g[i];
          }
          dir.put(e.getKey(), d);
        }
      }
      double eps = 2e-3;
      double plus = lossAt(model, dir, eps, tokens, sigma, targets);
      double minus = lossAt(model, dir, -eps, tokens, sigma, targets);
      double fd = (plus - minus) / (2 * eps);
      assertTrue(Math.abs(directional) > 0.1, "directional derivative " + directional);
      assertTrue(
          Math.abs(fd - directional) <= 0.02 * Math.abs(directional),
          "autograd " + directional + " vs finite difference " + fd);
    }
  }

  /** Loss at parameters p + t·dir (restores p afterwards), in float64 from float32 logits. */
  private static double lossAt(
      DitModel model,
      Map<String, float[]> dir,
      double t,
      NDArray tokens,
      NDArray sigma,
      NDArray targets) {
    Map<String, float[]> saved = new java.util.HashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      float[] p = e.getValue().toFloatArray();
      saved.put(e.getKey(), p.clone());
      float[] d = dir.get(e.getKey());
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) (p[i] + t * d[i]);
      }
      e.getValue().set(p);
    }
    float[] logits = model.forward(tokens, sigma).toFloatArray();
    long[] y = targets.toLongArray();
    double loss = 0;
    for (int i = 0; i < y.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < V; v++) {
        max = Math.max(max, logits[i * V + v]);
      }
      double z = 0;
      for (int v = 0; v < V; v++) {
        z += Math.exp(logits[i * V + v] - max);
      }
      loss += max + Math.log(z) - logits[i * V + (int) y[i]];
    }
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      e.getValue().set(saved.get(e.getKey()));
    }
    return loss / y.length;
  }
}
