package dev.dllm.eval.pareto;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One (model, sampler setting) measurement of the speed–quality plane (paper Figure 1).
 *
 * @param family registry name
 * @param model the export directory or a label
 * @param variant sampler setting label (e.g. {@code default}, {@code greedy_tail}, {@code
 *     kv_cache})
 * @param steps denoising steps T (L − 1 for AR)
 * @param tokensPerSecond generated tokens per second (higher is better)
 * @param genPpl generative perplexity under the scorer (lower is better)
 * @param entropy mean sample unigram entropy in nats
 * @param nfe mean network evaluations per sample
 * @param collapsed entropy below the reference text's entropy minus the margin
 * @param frontier on the non-dominated set
 * @param peakRssBytes peak resident memory while sampling (-1 unknown)
 * @param series the legend entry of a sampler that is its own series ({@link
 *     dev.dllm.eval.run.ParetoRun.Variant#series()}, e.g. {@code confidence (τ 0.9, block 32)}), or
 *     null for the family's (or model's) series
 * @param batch rows per sampler call of this point (-1 unknown)
 */
public record ParetoPoint(
    @JsonProperty("family") String family,
    @JsonProperty("model") String model,
    @JsonProperty("variant") String variant,
    @JsonProperty("steps") int steps,
    @JsonProperty("tokens_per_second") double tokensPerSecond,
    @JsonProperty("gen_ppl") double genPpl,
    @JsonProperty("entropy") double entropy,
    @JsonProperty("nfe") double nfe,
    @JsonProperty("collapsed") boolean collapsed,
    @JsonProperty("frontier") boolean frontier,
    @JsonProperty("peak_rss_bytes") long peakRssBytes,
    @JsonProperty("series") String series,
    @JsonProperty("batch") int batch) {

  /** A point in its family's series, batch unknown. */
  public ParetoPoint(
      String family,
      String model,
      String variant,
      int steps,
      double tokensPerSecond,
      double genPpl,
      double entropy,
      double nfe,
      boolean collapsed,
      boolean frontier,
      long peakRssBytes) {
    this(
        family,
        model,
        variant,
        steps,
        tokensPerSecond,
        genPpl,
        entropy,
        nfe,
        collapsed,
        frontier,
        peakRssBytes,
        null,
        -1);
  }

  /** A copy with the flags set. */
  public ParetoPoint withFlags(boolean collapsed, boolean frontier) {
    return new ParetoPoint(
        family,
        model,
        variant,
        steps,
        tokensPerSecond,
        genPpl,
        entropy,
        nfe,
        collapsed,
        frontier,
        peakRssBytes,
        series,
        batch);
  }

  /**
   * Whether this point dominates {@code o}: at least as fast and at least as good, and strictly
   * better in one of the two.
   */
  public boolean dominates(ParetoPoint o) {
    return tokensPerSecond >= o.tokensPerSecond
        && genPpl <= o.genPpl
        && (tokensPerSecond > o.tokensPerSecond || genPpl < o.genPpl);
  }
}
