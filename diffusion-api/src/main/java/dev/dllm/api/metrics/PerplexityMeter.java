package dev.dllm.api.metrics;

import dev.dllm.api.NllSum;

/**
 * Token-weighted NLL / perplexity accumulator in float64 (spec §6.1, [SD] metrics.py): sums the NLL
 * (nats) and the token count of every batch, and reports Σ nll / Σ tokens, never the mean of
 * per-batch averages. The NLL sum is compensated (Neumaier), so the result does not depend on how
 * the same tokens are split into batches beyond float64 rounding.
 *
 * <p>Not thread-safe; merge per-thread meters with {@link #add(PerplexityMeter)}.
 */
public final class PerplexityMeter {
  private double sum;
  private double compensation;
  private long tokens;

  /** Adds one batch: summed NLL in nats over {@code tokens} tokens. */
  public PerplexityMeter add(double nll, long tokens) {
    if (tokens < 0) {
      throw new IllegalArgumentException("negative token count " + tokens);
    }
    if (!Double.isFinite(nll)) {
      throw new IllegalArgumentException("non-finite NLL " + nll);
    }
    double s = sum + nll;
    if (Math.abs(sum) >= Math.abs(nll)) {
      compensation += (sum - s) + nll;
    } else {
      compensation += (nll - s) + sum;
    }
    sum = s;
    this.tokens += tokens;
    return this;
  }

  /** Adds one batch. */
  public PerplexityMeter add(NllSum batch) {
    return add(batch.nll(), batch.tokens());
  }

  /** Adds everything another meter has seen. */
  public PerplexityMeter add(PerplexityMeter other) {
    add(other.sum, 0);
    add(other.compensation, other.tokens);
    return this;
  }

  /** The total as an {@link NllSum}. */
  public NllSum total() {
    return new NllSum(sum + compensation, tokens);
  }

  /** Number of tokens seen. */
  public long tokens() {
    return tokens;
  }

  /** Token-weighted mean NLL in nats/token; NaN when empty. */
  public double natsPerToken() {
    return total().perToken();
  }

  /** Mean NLL in bits/token (nats / ln 2); NaN when empty. */
  public double bitsPerToken() {
    return natsPerToken() / Math.log(2);
  }

  /** Perplexity exp(nats/token); NaN when empty. */
  public double perplexity() {
    return Math.exp(natsPerToken());
  }

  /** Forgets everything. */
  public void reset() {
    sum = 0;
    compensation = 0;
    tokens = 0;
  }

  @Override
  public String toString() {
    return String.format(
        "%.6f nats/token, %.6f bits/token, PPL %.4f over %d tokens",
        natsPerToken(), bitsPerToken(), perplexity(), tokens);
  }
}
