package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Emits the reference DiT (spec §7) as ONNX graphs, opset 17, from {@link DitWeights}.
 *
 * <p><b>Full graph</b> (spec Appendix B): inputs {@code tokens} int64 {@code [batch, seq]} and
 * {@code sigma} float32 {@code [batch]}; output {@code logits} float32 {@code [batch, seq, V]}.
 * Attention follows {@link DitConfig#attention()}: bidirectional, or causal with the mask built
 * from Range/Less/Where (no Trilu) and a large finite negative bias {@value #MASK_BIAS} (never
 * -inf, so a fully masked row cannot produce NaN). Bidirectional and causal full graphs run
 * attention as ONNX Runtime's fused contrib ops ({@link FusedAttention}: RotaryEmbedding +
 * MultiHeadAttention, opset {@value OnnxEmitter#MS_DOMAIN} 1); every graph's MLP GELU is one {@code
 * com.microsoft.FastGelu} node (issue 20). The cached graphs and sorted-causal graphs keep the
 * standard-ONNX attention below.
 *
 * <p><b>Decode graph</b> (causal models only): inputs {@code tokens} int64 {@code [batch, new]},
 * {@code sigma} {@code [batch]} and per block {@code past_key_i}, {@code past_value_i} float32
 * {@code [batch, H, past, d_h]}; outputs {@code logits} {@code [batch, new, V]} and {@code
 * present_key_i}, {@code present_value_i} {@code [batch, H, past + new, d_h]}. New tokens sit at
 * positions {@code past .. past + new - 1}. The cache holds keys <i>after</i> rotary (rotated at
 * their absolute positions; equivalent to [SD]'s pre-rotary cache re-rotated every step, spec §5).
 *
 * <p><b>Sorted-causal (Eso-LM) graphs</b> (spec §4.3–4.4, Appendix B): both graphs take an extra
 * input {@value #POSITIONS} int64 {@code [batch, seq]}, the rotary position (original position) of
 * every fed token; attention is causal over the fed (sorted) order. The decode graph feeds a window
 * of {@code new} tokens after {@code past} cached ones: window queries see every cached key and
 * causally inside the window (the mask of the AR decode graph); it also takes {@value #COMMIT}
 * int64 {@code [1]} and returns present K/V of only {@code past + commit} rows (the clean tokens at
 * the head of the window), which are fed back unchanged as the next past.
 *
 * <p><b>Block graph</b> (bidirectional models only; Fast-dLLM's prefix and dual cache, issue 20):
 * inputs {@code tokens} and {@value #POSITIONS} int64 {@code [batch, new]} (a slice of positions of
 * the row and their rotary positions), {@code sigma} {@code [batch]}, {@value #KEY_BIAS} float32
 * {@code [batch, past + new]} (added to every attention score of the row: 0 for a visible key,
 * {@value #MASK_BIAS} for a hidden one; keys are the {@code past} cached positions then the slice)
 * and per block {@code past_key_i}, {@code past_value_i} {@code [batch, H, past, d_h]}
 * (post-rotary, as the decode graph); outputs {@code logits} {@code [batch, new, V]} and {@code
 * present_key_i}, {@code present_value_i} {@code [batch, H, past + new, d_h]}. With an empty past,
 * positions 0 .. L - 1 and a zero bias it is the full forward, and its present K/V are the cache of
 * every position.
 *
 * <p>Linear weights are stored transposed ({@code [in, out]}) so that {@code MatMul(x, W^T) + b} is
 * PyTorch's {@code Linear} (ecosystem.md §2).
 */
public final class DitOnnx {
  /** Additive attention bias of masked (future) keys. */
  public static final float MASK_BIAS = -1e9f;

  /** LayerNorm epsilon (PyTorch default, spec §7.2). */
  public static final float LN_EPS = 1e-5f;

  private DitOnnx() {}

  /** The full forward graph. */
  public static ModelProto full(DitWeights w, Map<String, String> metadata) {
    return build(w, false, metadata);
  }

  /**
   * The incremental decode graph with a KV cache.
   *
   * @throws IllegalArgumentException when the model is not causal
   */
  public static ModelProto decode(DitWeights w, Map<String, String> metadata) {
    if (w.config().attention() == BackboneSpec.Attention.BIDIRECTIONAL) {
      throw new IllegalArgumentException(
          "a KV-cache decode graph needs causal attention, model is " + w.config().attention());
    }
    return build(w, true, metadata);
  }

  /**
   * The block KV graph of a bidirectional model (see the class comment).
   *
   * @throws IllegalArgumentException when the model is not bidirectional
   */
  public static ModelProto block(DitWeights w, Map<String, String> metadata) {
    if (w.config().attention() != BackboneSpec.Attention.BIDIRECTIONAL) {
      throw new IllegalArgumentException(
          "a block KV graph needs bidirectional attention, model is " + w.config().attention());
    }
    return build(w, true, metadata);
  }

  /**
   * Block graph: additive attention bias per key, float32 {@code [batch, past + new]} (0 or {@link
   * #MASK_BIAS}).
   */
  public static final String KEY_BIAS = "key_bias";

  /** Sorted-causal graphs: rotary position of every fed token, int64 {@code [batch, seq]}. */
  public static final String POSITIONS = "positions";

  /**
   * Sorted-causal decode graph: how many leading window tokens are kept in the present K/V, int64
   * {@code [1]}.
   */
  public static final String COMMIT = "commit";

  /** Graph input/output names. */
  public static String pastKey(int block) {
    return "past_key_" + block;
  }

  public static String pastValue(int block) {
    return "past_value_" + block;
  }

  public static String presentKey(int block) {
    return "present_key_" + block;
  }

  public static String presentValue(int block) {
    return "present_value_" + block;
  }

  private static ModelProto build(DitWeights w, boolean cached, Map<String, String> metadata) {
    DitConfig cfg = w.config();
    int d = cfg.hidden();
    int heads = cfg.heads();
    int dh = cfg.headDim();
    int vocab = cfg.vocabSize();
    boolean sorted = cfg.attention() == BackboneSpec.Attention.SORTED_CAUSAL;
    boolean causal = cfg.attention() != BackboneSpec.Attention.BIDIRECTIONAL;
    String seq = cached ? "new" : "seq";
    OnnxEmitter g = new OnnxEmitter(!cached ? "dit" : causal ? "dit_decode" : "dit_block");
    String tokens = g.input("tokens", DataType.INT64, "batch", seq);
    String sigma = g.input("sigma", DataType.FLOAT, "batch");
    boolean block = cached && !causal;
    String positions = sorted || block ? g.input(POSITIONS, DataType.INT64, "batch", seq) : null;
    String keyBias = block ? g.input(KEY_BIAS, DataType.FLOAT, "batch", "total") : null;
    String commit = cached && sorted ? g.input(COMMIT, DataType.INT64, 1) : null;
    List<String> pastK = new ArrayList<>();
    List<String> pastV = new ArrayList<>();
    if (cached) {
      for (int i = 0; i < cfg.blocks(); i++) {
        pastK.add(g.input(pastKey(i), DataType.FLOAT, "batch", heads, "past", dh));
        pastV.add(g.input(pastValue(i), DataType.FLOAT, "batch", heads, "past", dh));
      }
    }

    // token embedding [B, S, d]
    String embed =
        g.floats("vocab_embed.embedding", w.get("vocab_embed.embedding").data(), vocab, d);
    String x = g.op("Gather", new String[] {embed, tokens}, OnnxEmitter.attr("axis", 0L));

    // time conditioning c = SiLU(mlp(sinusoid(sigma))) [B, cond]
    int half = DitConfig.FREQUENCY_EMBEDDING / 2;
    float[] freqs = new float[half];
    for (int k = 0; k < half; k++) {
      freqs[k] = (float) Math.exp(-Math.log(10000) * k / half);
    }
    String arg = g.mul(g.unsqueeze(sigma, 1), g.floats("sigma_freqs", freqs, half));
    String emb = g.concat(1, g.unary("Cos", arg), g.unary("Sin", arg));
    String c = g.silu(linear(g, w, "sigma_map.mlp.0", emb));
    c = g.silu(linear(g, w, "sigma_map.mlp.2", c));

    // full graph of a bidirectional or causal model: fused attention (FusedAttention)
    boolean fused = !cached && !sorted;
    String seqLen = g.dim(tokens, 1);
    String[] rotaryCache = fused ? FusedAttention.rotaryCache(g, seqLen, dh) : null;
    String cos = null;
    String sin = null;
    String bias = null;
    String qpos = null;
    String end = null;
    String offset = null;
    if (!fused) {
      // positions of the fed tokens and rotary tables [S, d_h]
      offset = cached ? g.dim(pastK.get(0), 2) : g.scalarLong(0);
      end = g.add(offset, seqLen);
      qpos = g.op("Range", new String[] {offset, end, g.scalarLong(1)});
      float[] invFreq = new float[dh];
      for (int k = 0; k < dh / 2; k++) {
        float f = (float) (1.0 / Math.pow(10000, (2.0 * k) / dh));
        invFreq[k] = f;
        invFreq[k + dh / 2] = f;
      }
      String inv = g.floats("rotary_inv_freq", invFreq, dh);
      // [S, d_h] from the sequence index, or [B, 1, S, d_h] from the given per-row positions
      String angles =
          positions != null
              ? g.mul(g.unsqueeze(g.cast(positions, DataType.FLOAT), 1, 3), inv)
              : g.mul(g.unsqueeze(g.cast(qpos, DataType.FLOAT), 1), inv);
      cos = g.unary("Cos", angles);
      sin = g.unary("Sin", angles);

      // causal bias [S, total]: key position > query position -> MASK_BIAS
      if (causal) {
        String kpos = g.op("Range", new String[] {g.scalarLong(0), end, g.scalarLong(1)});
        String future = g.op("Less", new String[] {g.unsqueeze(qpos, 1), g.unsqueeze(kpos, 0)});
        bias = g.op("Where", new String[] {future, g.scalar(MASK_BIAS), g.scalar(0f)});
      } else if (block) {
        bias = g.unsqueeze(keyBias, 1, 2); // [B, 1, 1, past + new]
      }
    }

    // sorted decode: present K/V keep rows [0, past + commit)
    String keep = commit == null ? null : g.add(g.unsqueeze(offset, 0), commit);
    String zero = commit == null ? null : g.vec(0);
    String axis = commit == null ? null : g.vec(2);

    String one = g.scalar(1f);
    String qScale = fused ? null : g.scalar((float) (1.0 / Math.sqrt(dh)));
    List<String[]> presents = new ArrayList<>();
    for (int i = 0; i < cfg.blocks(); i++) {
      String p = "blocks." + i + ".";
      String[] mod =
          g.split(g.unsqueeze(linear(g, w, p + "adaLN_modulation", c), 1), 2, d, d, d, d, d, d);
      String h = g.layerNorm(x, weight(g, w, p + "norm1.weight"), LN_EPS);
      h = g.add(g.mul(h, g.add(mod[1], one)), mod[0]);
      String qkv = g.matMul(h, transposed(g, w, p + "attn_qkv.weight"));
      if (fused) {
        String attn = FusedAttention.attend(g, qkv, rotaryCache, heads, dh, causal);
        attn = g.matMul(attn, transposed(g, w, p + "attn_out.weight"));
        x = g.add(x, g.mul(mod[2], attn));
        x = mlp(g, w, p, x, mod, one);
        continue;
      }
      qkv = g.transpose(g.reshape(qkv, 0, 0, 3, heads, dh), 2, 0, 3, 1, 4);
      String q = rotary(g, g.pick(qkv, 0, 0), cos, sin, dh);
      String k = rotary(g, g.pick(qkv, 0, 1), cos, sin, dh);
      String v = g.pick(qkv, 0, 2);
      if (cached) {
        k = g.concat(2, pastK.get(i), k);
        v = g.concat(2, pastV.get(i), v);
        if (commit == null) {
          presents.add(new String[] {k, v});
        } else {
          presents.add(
              new String[] {
                g.op("Slice", new String[] {k, zero, keep, axis}),
                g.op("Slice", new String[] {v, zero, keep, axis})
              });
        }
      }
      String scores = g.matMul(g.mul(q, qScale), g.transpose(k, 0, 1, 3, 2));
      if (bias != null) {
        scores = g.add(scores, bias);
      }
      String probs = g.op("Softmax", new String[] {scores}, OnnxEmitter.attr("axis", -1L));
      String attn = g.reshape(g.transpose(g.matMul(probs, v), 0, 2, 1, 3), 0, 0, d);
      attn = g.matMul(attn, transposed(g, w, p + "attn_out.weight"));
      x = g.add(x, g.mul(mod[2], attn));
      x = mlp(g, w, p, x, mod, one);
    }

    String[] out =
        g.split(g.unsqueeze(linear(g, w, "output_layer.adaLN_modulation", c), 1), 2, d, d);
    String h = g.layerNorm(x, weight(g, w, "output_layer.norm_final.weight"), LN_EPS);
    h = g.add(g.mul(h, g.add(out[1], one)), out[0]);
    String logits = linear(g, w, "output_layer.linear", h);
    g.output(logits, "logits", DataType.FLOAT, "batch", seq, vocab);
    if (cached) {
      for (int i = 0; i < presents.size(); i++) {
        g.output(presents.get(i)[0], presentKey(i), DataType.FLOAT, "batch", heads, "total", dh);
        g.output(presents.get(i)[1], presentValue(i), DataType.FLOAT, "batch", heads, "total", dh);
      }
    }
    return g.model(metadata);
  }

  /**
   * x + gate_mlp · MLP(modulate(LN(x))) of block {@code p}; the GELU with the first layer's bias as
   * one {@code FastGelu} node.
   */
  private static String mlp(
      OnnxEmitter g, DitWeights w, String p, String x, String[] mod, String one) {
    String h2 = g.layerNorm(x, weight(g, w, p + "norm2.weight"), LN_EPS);
    h2 = g.add(g.mul(h2, g.add(mod[4], one)), mod[3]);
    String up = g.matMul(h2, transposed(g, w, p + "mlp.0.weight"));
    String b0 = null;
    if (w.tensors().containsKey(p + "mlp.0.bias")) {
      Tensor bias = w.get(p + "mlp.0.bias");
      b0 = g.floats(p + "mlp.0.bias", bias.data(), bias.shape()[0]);
    }
    String mlp = linear(g, w, p + "mlp.2", g.fastGelu(up, b0));
    return g.add(x, g.mul(mod[5], mlp));
  }

  /** q cos + rotate_half(q) sin, rotate_half([a; b]) = [-b; a] (spec §7.4). */
  private static String rotary(OnnxEmitter g, String q, String cos, String sin, int dh) {
    String[] ab = g.split(q, 3, dh / 2, dh / 2);
    String rotated = g.concat(3, g.unary("Neg", ab[1]), ab[0]);
    return g.add(g.mul(q, cos), g.mul(rotated, sin));
  }

  /** Linear layer {@code prefix.weight [out, in]} (+ {@code prefix.bias} when present). */
  private static String linear(OnnxEmitter g, DitWeights w, String prefix, String x) {
    String wT = transposed(g, w, prefix + ".weight");
    String b = null;
    if (w.tensors().containsKey(prefix + ".bias")) {
      Tensor bias = w.get(prefix + ".bias");
      b = g.floats(prefix + ".bias", bias.data(), bias.shape()[0]);
    }
    return g.linear(x, wT, b);
  }

  private static String weight(OnnxEmitter g, DitWeights w, String name) {
    Tensor t = w.get(name);
    return g.floats(name, t.data(), t.shape()[0]);
  }

  /**
   * A PyTorch {@code [out, in]} weight as an {@code [in, out]} initializer named {@code name_T}.
   */
  private static String transposed(OnnxEmitter g, DitWeights w, String name) {
    Tensor t = w.get(name);
    if (t.shape().length != 2) {
      throw new IllegalArgumentException("tensor '" + name + "' must be 2-D [out, in]");
    }
    int rows = t.shape()[0];
    int cols = t.shape()[1];
    float[] src = t.data();
    float[] dst = new float[src.length];
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        dst[col * rows + r] = src[r * cols + col];
      }
    }
    return g.floats(name + "_T", dst, cols, rows);
  }
}
