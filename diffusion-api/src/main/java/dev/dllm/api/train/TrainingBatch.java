package dev.dllm.api.train;

import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * One micro-batch handed to a {@link TrainingObjective}: clean tokens, the diffusion times the
 * trainer drew for it (stratified over the global batch, spec §1.4), the tokenizer's special ids
 * and a random source for the family's own corruption.
 *
 * @param x0 clean tokens, row-major {@code [batch, length]}
 * @param batch rows B of this micro-batch
 * @param length sequence length L
 * @param t diffusion time per row {@code [B]} in [1e-3, 1] (all zero for a family without a
 *     schedule, such as AR)
 * @param specials the tokenizer's special ids (mask, BOS, EOS, PAD)
 * @param rng the micro-batch's random source (corruption, orders, Gaussian latents)
 * @param step the optimizer step (0-based) this micro-batch belongs to
 * @param totalSteps the run's planned number of optimizer steps (for curricula)
 * @param given the SFT loss mask {@code [B, L]}: true at prompt positions, which every objective
 *     keeps clean (never corrupted) and never scores (AR: no cross-entropy target there), as SMDM's
 *     GSM8K SFT and dLLM's {@code mask_prompt_loss} do; {@code null} when nothing is given
 *     (pre-training). The same idea as {@link dev.dllm.api.sample.Conditioning} when sampling and
 *     {@link dev.dllm.api.DiffusionFamily#conditionalNelbo} when scoring.
 */
public record TrainingBatch(
    int[] x0,
    int batch,
    int length,
    double[] t,
    SpecialTokens specials,
    Rng rng,
    long step,
    long totalSteps,
    boolean[] given) {

  /** A pre-training batch: nothing given. */
  public TrainingBatch(
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng,
      long step,
      long totalSteps) {
    this(x0, batch, length, t, specials, rng, step, totalSteps, null);
  }

  /** Whether position {@code (b, l)} is given (a prompt position under SFT). */
  public boolean isGiven(int b, int l) {
    return given != null && given[b * length + l];
  }

  /** Checks the shapes. */
  public TrainingBatch {
    if (x0.length != (long) batch * length) {
      throw new IllegalArgumentException(
          "x0 has " + x0.length + " ids, expected " + batch + "·" + length);
    }
    if (t.length != batch) {
      throw new IllegalArgumentException("t has " + t.length + " entries, expected " + batch);
    }
    if (given != null && given.length != x0.length) {
      throw new IllegalArgumentException(
          "given mask has " + given.length + " entries, expected " + batch + "·" + length);
    }
  }
}
