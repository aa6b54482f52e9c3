package dev.dllm.api.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensor names and shapes of the reference DiT (spec §7, DESIGN.md §Files) for a {@link
 * DitConfig}, in the canonical order, and the parameter counts derived from them (spec §7.6).
 */
public final class DitLayout {
  private DitLayout() {}

  /** Name of the token embedding {@code [V, d]}. */
  public static final String EMBEDDING = "vocab_embed.embedding";

  /**
   * Every parameter name with its PyTorch shape ({@code [out, in]} for linear weights), in the
   * canonical order: embedding, sigma map, blocks 0..n-1, output layer.
   */
  public static LinkedHashMap<String, int[]> shapes(DitConfig c) {
    int d = c.hidden();
    int cond = c.condDim();
    int v = c.vocabSize();
    int f = DitConfig.FREQUENCY_EMBEDDING;
    int mlp = DitConfig.MLP_RATIO * d;
    LinkedHashMap<String, int[]> m = new LinkedHashMap<>();
    m.put(EMBEDDING, new int[] {v, d});
    m.put("sigma_map.mlp.0.weight", new int[] {cond, f});
    m.put("sigma_map.mlp.0.bias", new int[] {cond});
    m.put("sigma_map.mlp.2.weight", new int[] {cond, cond});
    m.put("sigma_map.mlp.2.bias", new int[] {cond});
    for (int i = 0; i < c.blocks(); i++) {
      String p = "blocks." + i + ".";
      m.put(p + "norm1.weight", new int[] {d});
      m.put(p + "attn_qkv.weight", new int[] {3 * d, d});
      m.put(p + "attn_out.weight", new int[] {d, d});
      m.put(p + "norm2.weight", new int[] {d});
      m.put(p + "mlp.0.weight", new int[] {mlp, d});
      m.put(p + "mlp.0.bias", new int[] {mlp});
      m.put(p + "mlp.2.weight", new int[] {d, mlp});
      m.put(p + "mlp.2.bias", new int[] {d});
      m.put(p + "adaLN_modulation.weight", new int[] {6 * d, cond});
      m.put(p + "adaLN_modulation.bias", new int[] {6 * d});
    }
    m.put("output_layer.norm_final.weight", new int[] {d});
    m.put("output_layer.linear.weight", new int[] {v, d});
    m.put("output_layer.linear.bias", new int[] {v});
    m.put("output_layer.adaLN_modulation.weight", new int[] {2 * d, cond});
    m.put("output_layer.adaLN_modulation.bias", new int[] {2 * d});
    return m;
  }

  /** Total number of parameters (every tensor of {@link #shapes}). */
  public static long totalParams(DitConfig c) {
    long n = 0;
    for (Map.Entry<String, int[]> e : shapes(c).entrySet()) {
      long k = 1;
      for (int s : e.getValue()) {
        k *= s;
      }
      n += k;
    }
    return n;
  }

  /**
   * Parameters excluding the input token embedding {@code V·d} (the output head is counted). Note
   * that spec §7.6's column "params − 2Vd" also excludes the output weight.
   */
  public static long nonEmbeddingParams(DitConfig c) {
    return totalParams(c) - (long) c.vocabSize() * c.hidden();
  }

  /** N_eff = 12·blocks·d² + d·V, the FLOPs parameter count (spec §7.7); {@link DitConfig#nEff}. */
  public static long nEff(DitConfig c) {
    return c.nEff();
  }

  /**
   * Forward FLOPs of one sequence of {@code length} tokens as the paper counts them: 2·N_eff per
   * token, attention excluded (spec §7.7).
   */
  public static double forwardFlops(DitConfig c, int length) {
    return 2.0 * c.nEff() * length;
  }
}
