package dev.dllm.api.sample;

import dev.dllm.api.Denoiser;
import dev.dllm.api.tokenize.SpecialTokens;

/** Generates token sequences by calling a {@link Denoiser}; engine-free. */
public interface Sampler {

  /**
   * Draws {@code batch} sequences of {@code length} tokens.
   *
   * @param rng seeded source; same seed gives the same samples
   * @return ids {@code [B, L]} and the number of network calls (NFE) per row
   */
  SampleBatch sample(Denoiser denoiser, int batch, int length, SpecialTokens specials, Rng rng);
}
