package dev.dllm.api.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters of a DiT under the reference tensor names (DESIGN.md §Files): {@code
 * vocab_embed.embedding} {@code [V, d]}, {@code sigma_map.mlp.{0,2}.{weight,bias}}, {@code
 * blocks.{i}.norm1.weight}, {@code blocks.{i}.attn_qkv.weight} {@code [3d, d]}, {@code
 * blocks.{i}.attn_out.weight}, {@code blocks.{i}.norm2.weight}, {@code
 * blocks.{i}.mlp.{0,2}.{weight,bias}}, {@code blocks.{i}.adaLN_modulation.{weight,bias}}, {@code
 * output_layer.norm_final.weight}, {@code output_layer.linear.{weight,bias}}, {@code
 * output_layer.adaLN_modulation.{weight,bias}}; PyTorch {@code [out, in]} layout.
 *
 * @param config the backbone shape
 * @param tensors name to tensor, in a stable order
 */
public record DitWeights(DitConfig config, Map<String, Tensor> tensors) {
  public DitWeights {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /**
   * The tensor called {@code name}.
   *
   * @throws IllegalArgumentException naming the tensor when it is missing
   */
  public Tensor get(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("missing tensor '" + name + "'");
    }
    return t;
  }
}
