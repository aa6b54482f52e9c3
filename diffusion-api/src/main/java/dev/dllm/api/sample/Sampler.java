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

  /**
   * The same draw (same samples for the same seed), reporting the time of each network step to
   * {@code listener} where the sampler supports it ({@link #reportsSteps()}); the default ignores
   * the listener.
   *
   * @param listener receives one call per network step, or null for none
   */
  default SampleBatch sample(
      Denoiser denoiser,
      int batch,
      int length,
      SpecialTokens specials,
      Rng rng,
      StepListener listener) {
    return sample(denoiser, batch, length, specials, rng);
  }

  /** Whether {@link #sample(Denoiser, int, int, SpecialTokens, Rng, StepListener)} reports. */
  default boolean reportsSteps() {
    return false;
  }
}
