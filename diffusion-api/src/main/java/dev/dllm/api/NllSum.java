package dev.dllm.api;

/**
 * A float64 sum of per-token negative log-likelihoods (nats) and the number of tokens it is
 * normalised by. Perplexity over a set is {@code exp(sum nll / sum tokens)}: token-weighted, never
 * the mean of per-batch averages (spec §6.1).
 *
 * @param nll summed NLL or NELBO in nats
 * @param tokens number of tokens (positions) the sum is normalised by
 */
public record NllSum(double nll, long tokens) {

  /** Adds another sum (float64 accumulation). */
  public NllSum plus(NllSum other) {
    return new NllSum(nll + other.nll, tokens + other.tokens);
  }

  /** Mean NLL in nats/token; NaN for an empty sum. */
  public double perToken() {
    return tokens == 0 ? Double.NaN : nll / tokens;
  }
}
