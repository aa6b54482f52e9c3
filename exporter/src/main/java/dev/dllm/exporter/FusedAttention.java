package dev.dllm.exporter;

/**
 * Self-attention of the full forward graph as ONNX Runtime's fused contrib ops (issue 20): rotary
 * embedding as {@code com.microsoft.RotaryEmbedding} on {@code [B, S, D]} and scaled dot-product
 * attention as {@code com.microsoft.MultiHeadAttention}, which runs the scores, the softmax over
 * the keys and probabilities · V per (batch, head) on its own, without the {@code [B, S, 3, H,
 * d_h]} → {@code [3, B, H, S, d_h]} and output transposes of the ONNX-standard form.
 *
 * <p>The same function as {@link DitOnnx}'s standard form (spec §7.3–7.4): rotary is
 * non-interleaved ({@code rotate_half([a; b]) = [-b; a]}, the cos/sin tables of the first {@code
 * d_h / 2} frequencies, positions {@code 0 .. S - 1}); the scale is {@code 1 / sqrt(d_h)}; a causal
 * model sets {@code unidirectional} (key index > query index hidden).
 */
final class FusedAttention {
  private FusedAttention() {}

  /**
   * Rotary tables for {@link #attend}: cos and sin of {@code position · inv_freq[j]}, float32
   * {@code [S, d_h / 2]}, built in the graph from the sequence length of {@code tokens} (so any S
   * runs).
   *
   * @return {cos_cache, sin_cache}
   */
  static String[] rotaryCache(OnnxEmitter g, String seqLen, int dh) {
    float[] inv = new float[dh / 2];
    for (int k = 0; k < dh / 2; k++) {
      inv[k] = (float) (1.0 / Math.pow(10000, (2.0 * k) / dh));
    }
    String pos = g.op("Range", new String[] {g.scalarLong(0), seqLen, g.scalarLong(1)});
    String angles =
        g.mul(
            g.unsqueeze(g.cast(pos, ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT), 1),
            g.floats("rotary_inv_freq_half", inv, dh / 2));
    return new String[] {g.unary("Cos", angles), g.unary("Sin", angles)};
  }

  /**
   * Attention of one block.
   *
   * @param qkv the QKV projection, float32 {@code [B, S, 3D]} (q, k, v each {@code [H, d_h]})
   * @param cache {@link #rotaryCache}
   * @return the heads' outputs concatenated, float32 {@code [B, S, D]}
   */
  static String attend(
      OnnxEmitter g, String qkv, String[] cache, int heads, int dh, boolean causal) {
    int d = heads * dh;
    String[] parts = g.split(qkv, 2, d, d, d);
    String start = g.vec(0);
    String q = rotary(g, parts[0], start, cache, heads);
    String k = rotary(g, parts[1], start, cache, heads);
    return g.msOp(
        "MultiHeadAttention",
        new String[] {q, k, parts[2]},
        OnnxEmitter.attr("num_heads", (long) heads),
        OnnxEmitter.attr("scale", (float) (1.0 / Math.sqrt(dh))),
        OnnxEmitter.attr("unidirectional", causal ? 1L : 0L));
  }

  private static String rotary(OnnxEmitter g, String x, String start, String[] cache, int heads) {
    return g.msOp(
        "RotaryEmbedding",
        new String[] {x, start, cache[0], cache[1]},
        OnnxEmitter.attr("interleaved", 0L),
        OnnxEmitter.attr("num_heads", (long) heads));
  }
}
