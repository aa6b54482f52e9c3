package dev.dllm.api.sample;

import java.util.Map;

/**
 * How to sample: number of denoising steps T, nucleus mass, and family-specific options (for
 * example {@code predictor=ancestral|ancestral_cache|fixed_count}, {@code noise_removal=...},
 * {@code kv_cache=true|false}).
 *
 * @param steps T (ignored by AR, which always takes L - 1 steps)
 * @param topP nucleus mass in (0, 1]; 1 disables top-p
 * @param options family-specific string options
 * @param stopAtEos a sampler may stop early once every row has generated EOS after its given
 *     positions (AR saves the remaining calls; positions after a row's first generated EOS are then
 *     EOS). Diffusion samplers, which generate every position at once, may ignore it. Default
 *     false: unconditional benchmarks keep drawing full rows.
 */
public record SamplerSpec(int steps, double topP, Map<String, String> options, boolean stopAtEos) {

  /** A spec without early stopping at EOS. */
  public SamplerSpec(int steps, double topP, Map<String, String> options) {
    this(steps, topP, options, false);
  }

  /** This spec with {@link #stopAtEos} set. */
  public SamplerSpec withStopAtEos(boolean stop) {
    return new SamplerSpec(steps, topP, options, stop);
  }

  public SamplerSpec {
    options = Map.copyOf(options);
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
  }

  /** An option or its default. */
  public String option(String key, String fallback) {
    return options.getOrDefault(key, fallback);
  }
}
