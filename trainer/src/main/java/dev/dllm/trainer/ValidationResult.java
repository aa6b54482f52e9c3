package dev.dllm.trainer;

import dev.dllm.api.NllSum;

/**
 * Token-weighted validation likelihood (spec §6.1): exact NLL for AR, NELBO (an upper bound on the
 * NLL) for diffusion families.
 *
 * @param natsPerToken Σ nll / Σ tokens, float64
 * @param bitsPerToken natsPerToken / ln 2
 * @param perplexity exp(natsPerToken)
 * @param tokens number of scored tokens
 * @param batches number of validation batches evaluated
 */
public record ValidationResult(
    double natsPerToken, double bitsPerToken, double perplexity, long tokens, int batches) {

  /** From a float64 sum. */
  public static ValidationResult of(NllSum sum, int batches) {
    double nats = sum.perToken();
    return new ValidationResult(nats, nats / Math.log(2), Math.exp(nats), sum.tokens(), batches);
  }
}
