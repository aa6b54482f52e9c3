package dev.dllm.api.sample;

import dev.dllm.api.Denoiser;
import dev.dllm.api.tokenize.SpecialTokens;

/** Generates token sequences by calling a {@link Denoiser}; engine-free. */
public interface Sampler {

  /**
   * Draws {@code batch} sequences of {@code length} tokens: {@link #sample(Denoiser, Conditioning,
   * SpecialTokens, Rng[], StepListener)} with nothing given, row b drawing from the b-th split of
   * {@code rng}.
   *
   * @param length the block L the denoiser sees (rows are {@link #outputLength(int)} long)
   * @param rng seeded source; same seed gives the same samples
   * @return ids {@code [B, outputLength(L)]} and the number of network calls (NFE)
   */
  default SampleBatch sample(
      Denoiser denoiser, int batch, int length, SpecialTokens specials, Rng rng) {
    return sample(denoiser, batch, length, specials, rng, null);
  }

  /**
   * The same draw (same samples for the same seed), reporting the time of each network step to
   * {@code listener} where the sampler supports it ({@link #reportsSteps()}).
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
    return sample(
        denoiser,
        Conditioning.none(batch, outputLength(length)),
        specials,
        Conditioning.rowStreams(rng, batch),
        listener);
  }

  /**
   * Conditional generation: row b keeps the given ids of {@code given} verbatim at their positions
   * and generates the free ones, drawing only from {@code rows[b]}, so a row's sample does not
   * depend on the rows batched with it nor on the thread count. With {@link Conditioning#none} and
   * {@code rows = Conditioning.rowStreams(rng, B)} it returns exactly {@link #sample(Denoiser, int,
   * int, SpecialTokens, Rng)}.
   *
   * <p>The per-family meaning of "given" (AR prefix + KV prefill, MDLM carry-over, Duo clamping,
   * Eso-LM decoded-first) is stated by each implementation.
   *
   * @param given {@code [B, L]}: FREE or the id kept at that position; L is the returned row length
   * @param rows one stream per row {@code [B]}
   * @param listener step timing, or null
   * @return ids {@code [B, L]} and NFE
   * @throws dev.dllm.api.InvalidInputException when the family cannot honour the conditioning (a
   *     suffix for AR, a prompt longer than the model can continue, a given MASK id)
   * @throws UnsupportedOperationException for a sampler that does not implement conditioning (the
   *     default; a sampler that implements only the unconditional {@code sample} overrides that one
   *     instead)
   */
  default SampleBatch sample(
      Denoiser denoiser,
      Conditioning given,
      SpecialTokens specials,
      Rng[] rows,
      StepListener listener) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " does not implement conditional generation");
  }

  /**
   * {@link #sample(Denoiser, Conditioning, SpecialTokens, Rng[], StepListener)}, row b drawing from
   * the b-th split of {@code rng}, without a listener.
   */
  default SampleBatch sample(
      Denoiser denoiser, Conditioning given, SpecialTokens specials, Rng rng) {
    return sample(denoiser, given, specials, Conditioning.rowStreams(rng, given.batch()), null);
  }

  /**
   * Whether given positions may follow a free one (fill-in-the-middle, several gaps). False for
   * families that only continue a prefix (AR); those refuse such a conditioning with an {@link
   * dev.dllm.api.InvalidInputException}.
   */
  default boolean supportsInfill() {
    return true;
  }

  /**
   * The length of the rows this sampler returns for a denoiser block of {@code block} tokens: the L
   * of the {@link Conditioning} it expects. The block itself, except for samplers that emit more
   * (semi-autoregressive MDLM: L + N·S).
   */
  default int outputLength(int block) {
    return block;
  }

  /** Whether {@link #sample(Denoiser, int, int, SpecialTokens, Rng, StepListener)} reports. */
  default boolean reportsSteps() {
    return false;
  }

  /**
   * Asks this sampler to report its canvas to {@code listener} before every network call of the
   * following {@code sample} calls ({@link CanvasListener}); null stops it.
   *
   * @return whether this sampler reports canvases (false, the default: a caller reads the canvas
   *     off the denoiser's inputs instead)
   */
  default boolean canvasListener(CanvasListener listener) {
    return false;
  }
}
