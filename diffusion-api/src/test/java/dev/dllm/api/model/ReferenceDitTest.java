package dev.dllm.api.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties of the float64 reference forward that hold independently of any engine. */
class ReferenceDitTest {
  private static final int V = 11;
  private static final int L = 7;

  private static DitWeights random(Attention a, long seed, boolean zeroAdaLn) {
    DitConfig cfg = new DitConfig(V, 16, 2, 2, 8, a, 0.0);
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      boolean zero = zeroAdaLn && e.getKey().contains("blocks.") && e.getKey().contains("adaLN");
      for (int i = 0; i < n; i++) {
        d[i] = zero ? 0f : (float) (r.nextDouble() - 0.5);
      }
      m.put(e.getKey(), new Tensor(d, e.getValue()));
    }
    return new DitWeights(cfg, m);
  }

  private static int[] tokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] t = new int[L];
    for (int i = 0; i < L; i++) {
      t[i] = r.nextInt(V);
    }
    return t;
  }

  /**
   * Bidirectional attention with rotary: permuting tokens with their positions permutes outputs.
   */
  @Test
  void permutationEquivariantWithPositions() {
    ReferenceDit ref = new ReferenceDit(random(Attention.BIDIRECTIONAL, 1, false));
    int[] x = tokens(2);
    int[] perm = {3, 0, 6, 1, 5, 2, 4};
    int[] px = new int[L];
    for (int i = 0; i < L; i++) {
      px[i] = x[perm[i]];
    }
    double[] a = ref.forward64(new TokenBatch(x, 1, L), new double[] {0.7}, null, null);
    double[] b = ref.forward64(new TokenBatch(px, 1, L), new double[] {0.7}, perm, null);
    for (int i = 0; i < L; i++) {
      for (int v = 0; v < V; v++) {
        assertEquals(a[perm[i] * V + v], b[i * V + v], 1e-12);
      }
    }
    // Without the positions the result differs (rotary is not a no-op).
    double[] c = ref.forward64(new TokenBatch(px, 1, L), new double[] {0.7}, null, null);
    assertTrue(Math.abs(c[0] - b[0]) > 1e-6);
  }

  /** Zero block adaLN: every gate is 0, so logits = W_o·mod(LN(E[x])) + b_o in closed form. */
  @Test
  void zeroGatesReduceToTheHead() {
    DitWeights w = random(Attention.CAUSAL, 3, true);
    double sigma = 1.3;
    double[] got =
        new ReferenceDit(w)
            .forward64(new TokenBatch(tokens(4), 1, L), new double[] {sigma}, null, null);
    int d = 16;
    int cond = 8;
    // c = SiLU(W2 SiLU(W1 f + b1) + b2), f = [cos(sigma f_k); sin(sigma f_k)]
    double[] f = new double[256];
    for (int k = 0; k < 128; k++) {
      double fr = Math.pow(10000.0, -k / 128.0);
      f[k] = Math.cos(sigma * fr);
      f[128 + k] = Math.sin(sigma * fr);
    }
    double[] h = affine(w, "sigma_map.mlp.0", f, cond, 256);
    for (int i = 0; i < cond; i++) {
      h[i] = h[i] / (1 + Math.exp(-h[i]));
    }
    double[] c = affine(w, "sigma_map.mlp.2", h, cond, cond);
    for (int i = 0; i < cond; i++) {
      c[i] = c[i] / (1 + Math.exp(-c[i]));
    }
    double[] mod = affine(w, "output_layer.adaLN_modulation", c, 2 * d, cond);
    int[] x = tokens(4);
    for (int l = 0; l < L; l++) {
      double[] e = new double[d];
      double mean = 0;
      for (int j = 0; j < d; j++) {
        e[j] = w.get("vocab_embed.embedding").data()[x[l] * d + j];
        mean += e[j] / d;
      }
      double var = 0;
      for (int j = 0; j < d; j++) {
        var += (e[j] - mean) * (e[j] - mean) / d;
      }
      double[] y = new double[d];
      for (int j = 0; j < d; j++) {
        double n = (e[j] - mean) / Math.sqrt(var + 1e-5);
        y[j] = n * w.get("output_layer.norm_final.weight").data()[j] * (1 + mod[d + j]) + mod[j];
      }
      double[] logits = affine(w, "output_layer.linear", y, V, d);
      for (int v = 0; v < V; v++) {
        assertEquals(logits[v], got[l * V + v], 1e-12);
      }
    }
  }

  @Test
  void causalPrefixIgnoresTheFuture() {
    ReferenceDit ref = new ReferenceDit(random(Attention.CAUSAL, 5, false));
    int[] x = tokens(6);
    int[] y = x.clone();
    y[L - 1] = (y[L - 1] + 1) % V;
    double[] a = ref.forward64(new TokenBatch(x, 1, L), new double[] {0}, null, null);
    double[] b = ref.forward64(new TokenBatch(y, 1, L), new double[] {0}, null, null);
    for (int i = 0; i < (L - 1) * V; i++) {
      assertEquals(a[i], b[i], 0.0);
    }
    assertTrue(a[(L - 1) * V] != b[(L - 1) * V]);
  }

  private static double[] affine(DitWeights w, String p, double[] in, int out, int inDim) {
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double acc = w.get(p + ".bias").data()[o];
      for (int i = 0; i < inDim; i++) {
        acc += w.get(p + ".weight").data()[o * inDim + i] * in[i];
      }
      y[o] = acc;
    }
    return y;
  }
}
