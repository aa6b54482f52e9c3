package dev.dllm.family.mdlm;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.family.mdlm.MdlmSampler.Predictor;
import java.util.Locale;
import java.util.Set;

/**
 * The MDLM sampler options of a {@link SamplerSpec} (spec §2.3): {@code predictor} (ancestral,
 * ancestral_cache (default), fixed_count or confidence), {@code noise_removal} (ancestral (default)
 * or none; greedy would overwrite clean tokens), semi-AR {@code strides} / {@code stride_length}
 * ([MDLM] {@code sample_subs_guidance}), and for {@code predictor=confidence} only {@code
 * threshold}, {@code block_length}, {@code proposal} ({@link ConfidenceDecoding}) and {@code cache}
 * ({@link BlockCache}: none, prefix or dual), plus T = {@link SamplerSpec#steps()} &gt;= 1.
 *
 * @param predictor the prediction rule per step
 * @param noiseRemoval whether the final update at t = 1e-5 (alpha_s = 1) runs
 * @param strides N, the semi-AR strides (0 = one block)
 * @param strideLength S, the tokens emitted per stride
 * @param confidence the confidence rule of {@code predictor=confidence}, else null
 * @param cache the block KV cache of {@code predictor=confidence} ({@link BlockCache#NONE} else)
 */
record MdlmSamplerOptions(
    Predictor predictor,
    boolean noiseRemoval,
    int strides,
    int strideLength,
    ConfidenceDecoding confidence,
    BlockCache cache) {

  private static final Set<String> OPTIONS =
      Set.of(
          "predictor",
          "noise_removal",
          "strides",
          "stride_length",
          "threshold",
          "block_length",
          "proposal",
          BlockCache.KEY);

  /**
   * Parses and checks the options of {@code spec}.
   *
   * @throws InvalidInputException for an unknown option, T &lt; 1, a bad value, {@code strides}
   *     without {@code stride_length}, a confidence option without {@code predictor=confidence}, or
   *     {@code noise_removal} with it (the confidence rule commits every position itself)
   */
  static MdlmSamplerOptions parse(SamplerSpec spec) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new InvalidInputException(
            "sampler option '"
                + key
                + "' is not supported by family mdlm; known options: "
                + String.join(", ", new java.util.TreeSet<>(OPTIONS)));
      }
    }
    if (spec.steps() < 1) {
      throw new InvalidInputException("mdlm sampling needs steps T >= 1, got " + spec.steps());
    }
    String p = spec.option("predictor", "ancestral_cache");
    Predictor predictor;
    try {
      predictor = Predictor.valueOf(p.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "sampler option predictor must be ancestral, ancestral_cache, fixed_count or confidence,"
              + " got "
              + p);
    }
    ConfidenceDecoding confidence = null;
    if (predictor == Predictor.CONFIDENCE) {
      if (spec.options().containsKey("noise_removal")) {
        throw new InvalidInputException(
            "sampler option noise_removal does not apply to predictor=confidence (it commits every"
                + " position itself)");
      }
      confidence = ConfidenceDecoding.parse(spec);
    } else if (ConfidenceDecoding.mentioned(spec) || spec.options().containsKey(BlockCache.KEY)) {
      throw new InvalidInputException(
          "sampler options threshold, block_length, proposal and cache need"
              + " predictor=confidence, got"
              + " predictor="
              + p);
    }
    String nr = spec.option("noise_removal", "ancestral");
    if (!nr.equals("ancestral") && !nr.equals("none")) {
      throw new InvalidInputException(
          "sampler option noise_removal must be ancestral or none, got "
              + nr
              + " (greedy would overwrite clean tokens, spec §2.3)");
    }
    int strides = intOption(spec, "strides", 0, 0);
    int strideLength = intOption(spec, "stride_length", 0, 1);
    if (strides > 0 && !spec.options().containsKey("stride_length")) {
      throw new InvalidInputException("sampler option strides needs stride_length");
    }
    return new MdlmSamplerOptions(
        predictor,
        nr.equals("ancestral"),
        strides,
        strideLength,
        confidence,
        confidence == null ? BlockCache.NONE : BlockCache.parse(spec));
  }

  private static int intOption(SamplerSpec spec, String key, int fallback, int min) {
    String s = spec.option(key, null);
    if (s == null) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(s.trim());
      if (v < min) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "sampler option " + key + " must be an integer >= " + min + ", got " + s);
    }
  }
}
