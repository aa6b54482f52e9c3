package dev.dllm.api.sample;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/**
 * The block KV cache of confidence decoding (sampler option {@code cache}; Fast-dLLM, Wu et al.
 * 2025, NVlabs/Fast-dLLM {@code llada/generate.py}; issue 20), over {@link
 * dev.dllm.api.BlockKvCacheDecoder}. At a block's first step the full forward runs and keeps the
 * per-layer K/V of every position; at its later steps:
 *
 * <ul>
 *   <li>{@link #NONE}: a full forward every step (exact);
 *   <li>{@link #PREFIX}: the block and every position after it run against the cached prefix
 *       ({@code generate_with_prefix_cache});
 *   <li>{@link #DUAL}: only the block runs, against the cached prefix and suffix ({@code
 *       generate_with_dual_cache}).
 * </ul>
 */
public enum BlockCache {
  NONE,
  PREFIX,
  DUAL;

  /** The option key. */
  public static final String KEY = "cache";

  /**
   * Reads {@code cache} from {@code spec} (default none).
   *
   * @throws InvalidInputException for a value other than none, prefix or dual
   */
  public static BlockCache parse(SamplerSpec spec) {
    String s = spec.option(KEY, "none").trim().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "none" -> NONE;
      case "prefix" -> PREFIX;
      case "dual" -> DUAL;
      default ->
          throw new InvalidInputException(
              "sampler option cache must be none, prefix or dual, got " + s);
    };
  }

  /**
   * The block KV cache decoder of {@code denoiser} for this mode (prefix or dual); the caller
   * closes it.
   *
   * @throws InvalidInputException when the denoiser has no block KV graph
   * @throws IllegalStateException for {@link #NONE}
   */
  public BlockKvCacheDecoder open(Denoiser denoiser) {
    if (this == NONE) {
      throw new IllegalStateException("cache=none has no decoder");
    }
    return denoiser
        .blockKvCacheDecoder()
        .orElseThrow(
            () ->
                new InvalidInputException(
                    "sampler option cache="
                        + label()
                        + " needs a block KV graph, which this model does not have;"
                        + " re-export it with dllm export (bidirectional exports carry"
                        + " one in decode.onnx) or use cache=none"));
  }

  /** The option value, lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
