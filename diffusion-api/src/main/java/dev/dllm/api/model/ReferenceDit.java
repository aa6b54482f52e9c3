package dev.dllm.api.model;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import java.util.Optional;

/**
 * The DiT forward of spec §7 in plain Java, float64 throughout: the independent oracle for the DJL
 * backbone and the ONNX export (parity tests). Slow (naive loops); meant for small models.
 *
 * <p>Per row: x = E[tokens]; c = SiLU(W2·SiLU(W1·[cos(σf); sin(σf)] + b1) + b2) with f_k =
 * exp(-ln(10000)·k/128); each block applies x += gate1·W_out·attn(modulate(LN1(x))) and x +=
 * gate2·MLP(modulate(LN2(x))) with the adaLN chunks (shift1, scale1, gate1, shift2, scale2, gate2);
 * the head is W_o·modulate(LN_f(x)) + b_o. Rotary: angle p·10000^(-2k/d_h) on both halves (NeoX).
 *
 * <p>Eso-LM support (spec §4.2–4.4): {@link #forward(TokenBatch, float[], AttentionLayout)} takes
 * per-token rotary positions and any boolean attention pattern (sorted-causal, two-stream), and
 * {@link #windowKvCacheDecoder} gives a float64 windowed KV cache ({@link ReferenceWindowCache}).
 */
public final class ReferenceDit implements Denoiser {
  private final DitConfig cfg;
  private final DitWeights w;

  /**
   * @param weights parameters under the reference names
   * @throws IllegalArgumentException naming a missing tensor
   */
  public ReferenceDit(DitWeights weights) {
    this.cfg = weights.config();
    this.w = weights;
    for (String name : DitLayout.shapes(cfg).keySet()) {
      weights.get(name);
    }
  }

  /** The backbone shape. */
  public DitConfig config() {
    return cfg;
  }

  @Override
  public int vocabSize() {
    return cfg.vocabSize();
  }

  /** Float64 forward with the attention of the config, cast to float32. */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    double[] s = new double[tokens.batch()];
    if (sigma != null) {
      for (int i = 0; i < s.length; i++) {
        s[i] = sigma[i];
      }
    }
    return toFloat(forward64(tokens, s, null, null), tokens);
  }

  /**
   * Float64 forward with explicit positions and attention (Eso-LM orders), cast to float32.
   *
   * @param layout null for {@link #forward(TokenBatch, float[])}
   */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    if (layout == null) {
      return forward(tokens, sigma);
    }
    if (layout.batch() != tokens.batch() || layout.length() != tokens.length()) {
      throw new IllegalArgumentException(
          "attention layout ["
              + layout.batch()
              + ", "
              + layout.length()
              + "] does not match tokens ["
              + tokens.batch()
              + ", "
              + tokens.length()
              + "]");
    }
    double[] s = new double[tokens.batch()];
    if (sigma != null) {
      for (int i = 0; i < s.length; i++) {
        s[i] = sigma[i];
      }
    }
    int len = tokens.length();
    boolean[] allowed = new boolean[tokens.batch() * len * len];
    for (int b = 0; b < tokens.batch(); b++) {
      for (int q = 0; q < len; q++) {
        for (int k = 0; k < len; k++) {
          allowed[(b * len + q) * len + k] = layout.allowed(b, q, k);
        }
      }
    }
    return toFloat(forward64(tokens, s, layout.positions(), allowed), tokens);
  }

  /** Always true: any positions and any boolean attention pattern. */
  @Override
  public boolean supportsLayout() {
    return true;
  }

  /** A float64 windowed KV cache over this model ({@link ReferenceWindowCache}); sigma = 0. */
  @Override
  public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
    return Optional.of(new ReferenceWindowCache(this, batch));
  }

  private Logits toFloat(double[] out, TokenBatch tokens) {
    float[] f = new float[out.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) out[i];
    }
    return new Logits(f, tokens.batch(), tokens.length(), cfg.vocabSize());
  }

  /**
   * Float64 logits.
   *
   * @param tokens ids {@code [B, L]}
   * @param sigma {@code [B]}
   * @param positions rotary position per token {@code [B, L]}, or null for 0..L-1
   * @param allowed {@code allowed[(b·L + q)·L + k]} whether query q may attend key k {@code [B, L,
   *     L]}, or null for the pattern of the config (bidirectional; causal for CAUSAL/SORTED_CAUSAL)
   * @return logits {@code [B, L, V]}
   */
  public double[] forward64(TokenBatch tokens, double[] sigma, int[] positions, boolean[] allowed) {
    int bsz = tokens.batch();
    int len = tokens.length();
    int v = cfg.vocabSize();
    double[] out = new double[bsz * len * v];
    for (int b = 0; b < bsz; b++) {
      int[] ids = new int[len];
      int[] pos = new int[len];
      for (int l = 0; l < len; l++) {
        ids[l] = tokens.get(b, l);
        pos[l] = positions == null ? l : positions[b * len + l];
      }
      boolean[][] mask = new boolean[len][len];
      for (int q = 0; q < len; q++) {
        for (int k = 0; k < len; k++) {
          mask[q][k] =
              allowed != null
                  ? allowed[(b * len + q) * len + k]
                  : cfg.attention() == BackboneSpec.Attention.BIDIRECTIONAL || k <= q;
        }
      }
      double[][] logits =
          rowForward(ids, sigma[b], pos, mask, new double[cfg.blocks()][2][0][], null);
      for (int l = 0; l < len; l++) {
        System.arraycopy(logits[l], 0, out, (b * len + l) * v, v);
      }
    }
    return out;
  }

  /**
   * One row: W fed tokens attending P past keys (post-rotary) and the window.
   *
   * @param mask {@code [W][P + W]}, keys = past then window
   * @param past per block {K, V} of {@code [P][d]}
   * @param present per block receives {K, V} of the window {@code [W][d]} (post-rotary), or null
   * @return logits {@code [W][V]}
   */
  double[][] rowForward(
      int[] ids,
      double sigma,
      int[] pos,
      boolean[][] mask,
      double[][][][] past,
      double[][][][] present) {
    int len = ids.length;
    double[][] x = new double[len][];
    for (int l = 0; l < len; l++) {
      x[l] = row(w.get(DitLayout.EMBEDDING), ids[l]);
    }
    double[] c = condition(sigma);
    for (int i = 0; i < cfg.blocks(); i++) {
      double[][][] kv = block("blocks." + i + ".", x, c, pos, mask, past[i][0], past[i][1]);
      if (present != null) {
        present[i] = kv;
      }
    }
    double[] mod = linear("output_layer.adaLN_modulation", c, true);
    int d = cfg.hidden();
    double[][] logits = new double[len][];
    for (int l = 0; l < len; l++) {
      double[] h = layerNorm(x[l], w.get("output_layer.norm_final.weight"));
      for (int j = 0; j < d; j++) {
        h[j] = h[j] * (1 + mod[d + j]) + mod[j];
      }
      logits[l] = linear("output_layer.linear", h, true);
    }
    return logits;
  }

  private double[][][] block(
      String p,
      double[][] x,
      double[] c,
      int[] pos,
      boolean[][] mask,
      double[][] pastK,
      double[][] pastV) {
    int d = cfg.hidden();
    int heads = cfg.heads();
    int dh = cfg.headDim();
    int len = x.length;
    int past = pastK.length;
    double[] mod = linear(p + "adaLN_modulation", c, true);
    double[][] q = new double[len][];
    double[][] k = new double[past + len][];
    double[][] v = new double[past + len][];
    System.arraycopy(pastK, 0, k, 0, past);
    System.arraycopy(pastV, 0, v, 0, past);
    for (int l = 0; l < len; l++) {
      double[] h = layerNorm(x[l], w.get(p + "norm1.weight"));
      for (int j = 0; j < d; j++) {
        h[j] = h[j] * (1 + mod[d + j]) + mod[j];
      }
      double[] qkv = linear(p + "attn_qkv", h, false);
      q[l] = new double[d];
      double[] kl = new double[d];
      double[] vl = new double[d];
      System.arraycopy(qkv, 0, q[l], 0, d);
      System.arraycopy(qkv, d, kl, 0, d);
      System.arraycopy(qkv, 2 * d, vl, 0, d);
      for (int hd = 0; hd < heads; hd++) {
        rotate(q[l], hd * dh, dh, pos[l]);
        rotate(kl, hd * dh, dh, pos[l]);
      }
      k[past + l] = kl;
      v[past + l] = vl;
    }
    int keys = past + len;
    double scale = 1.0 / Math.sqrt(dh);
    double[][] attn = new double[len][d];
    for (int hd = 0; hd < heads; hd++) {
      int o = hd * dh;
      for (int i = 0; i < len; i++) {
        double[] s = new double[keys];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < keys; j++) {
          if (!mask[i][j]) {
            s[j] = Double.NEGATIVE_INFINITY;
            continue;
          }
          double dot = 0;
          for (int e = 0; e < dh; e++) {
            dot += q[i][o + e] * k[j][o + e];
          }
          s[j] = dot * scale;
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = 0; j < keys; j++) {
          s[j] = mask[i][j] ? Math.exp(s[j] - max) : 0;
          z += s[j];
        }
        for (int j = 0; j < keys; j++) {
          if (s[j] == 0) {
            continue;
          }
          double pj = s[j] / z;
          for (int e = 0; e < dh; e++) {
            attn[i][o + e] += pj * v[j][o + e];
          }
        }
      }
    }
    for (int l = 0; l < len; l++) {
      double[] a = linear(p + "attn_out", attn[l], false);
      for (int j = 0; j < d; j++) {
        x[l][j] += mod[2 * d + j] * a[j];
      }
      double[] h = layerNorm(x[l], w.get(p + "norm2.weight"));
      for (int j = 0; j < d; j++) {
        h[j] = h[j] * (1 + mod[4 * d + j]) + mod[3 * d + j];
      }
      double[] u = linear(p + "mlp.0", h, true);
      for (int j = 0; j < u.length; j++) {
        u[j] = geluTanh(u[j]);
      }
      double[] m = linear(p + "mlp.2", u, true);
      for (int j = 0; j < d; j++) {
        x[l][j] += mod[5 * d + j] * m[j];
      }
    }
    double[][] newK = new double[len][];
    double[][] newV = new double[len][];
    System.arraycopy(k, past, newK, 0, len);
    System.arraycopy(v, past, newV, 0, len);
    return new double[][][] {newK, newV};
  }

  /** In place: [a; b] -> [a·cos - b·sin; b·cos + a·sin] on x[off .. off+dh). */
  private static void rotate(double[] x, int off, int dh, int pos) {
    int half = dh / 2;
    for (int i = 0; i < half; i++) {
      double theta = pos / Math.pow(10000.0, (2.0 * i) / dh);
      double cos = Math.cos(theta);
      double sin = Math.sin(theta);
      double a = x[off + i];
      double b = x[off + half + i];
      x[off + i] = a * cos - b * sin;
      x[off + half + i] = b * cos + a * sin;
    }
  }

  private double[] condition(double sigma) {
    int half = DitConfig.FREQUENCY_EMBEDDING / 2;
    double[] f = new double[2 * half];
    for (int i = 0; i < half; i++) {
      double arg = sigma * Math.exp(-Math.log(10000.0) * i / half);
      f[i] = Math.cos(arg);
      f[half + i] = Math.sin(arg);
    }
    double[] h = linear("sigma_map.mlp.0", f, true);
    silu(h);
    h = linear("sigma_map.mlp.2", h, true);
    silu(h);
    return h;
  }

  private static void silu(double[] h) {
    for (int i = 0; i < h.length; i++) {
      h[i] = h[i] / (1 + Math.exp(-h[i]));
    }
  }

  static double geluTanh(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  private static double[] layerNorm(double[] x, Tensor weight) {
    double mean = 0;
    for (double e : x) {
      mean += e;
    }
    mean /= x.length;
    double var = 0;
    for (double e : x) {
      var += (e - mean) * (e - mean);
    }
    var /= x.length;
    double inv = 1 / Math.sqrt(var + 1e-5);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - mean) * inv * weight.data()[i];
    }
    return y;
  }

  /** y = W x (+ b) with W {@code [out, in]} (PyTorch layout). */
  private double[] linear(String prefix, double[] in, boolean bias) {
    Tensor wt = w.get(prefix + ".weight");
    int outDim = wt.shape()[0];
    int inDim = wt.shape()[1];
    float[] data = wt.data();
    float[] bd = bias ? w.get(prefix + ".bias").data() : null;
    double[] y = new double[outDim];
    for (int o = 0; o < outDim; o++) {
      double acc = bd == null ? 0 : bd[o];
      int base = o * inDim;
      for (int i = 0; i < inDim; i++) {
        acc += data[base + i] * (double) in[i];
      }
      y[o] = acc;
    }
    return y;
  }

  private static double[] row(Tensor t, int r) {
    int d = t.shape()[1];
    double[] y = new double[d];
    for (int i = 0; i < d; i++) {
      y[i] = t.data()[r * d + i];
    }
    return y;
  }
}
