package dev.dllm.eval.likelihood;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Validation NLL / NELBO of a family on any set of token rows (spec §6.1): every batch gets one
 * stratified time per sequence ({@link TimeSampler#sampleEval}) and the family's float64 {@link
 * DiffusionFamily#nelbo} (exact NLL for AR, an upper bound for diffusion families), summed over the
 * whole set with {@link PerplexityMeter} (token-weighted, float64).
 *
 * <p>Rows may differ in length (the last, partial block of a corpus): rows are grouped by length
 * and each group is run at its own length, so no PAD token is ever scored or attended (see {@link
 * UnpaddedForward}). The draws of batch i come from the i-th split of {@code new Rng(seed)}, so the
 * same seed scores the same corruptions.
 */
public final class LikelihoodEval {
  private LikelihoodEval() {}

  /**
   * The result.
   *
   * @param total Σ NLL (nats) and Σ tokens
   * @param rows rows scored
   * @param batches forward batches run
   */
  public record Result(NllSum total, int rows, int batches) {
    /** Nats per token. */
    public double natsPerToken() {
      return total.perToken();
    }

    /** exp(nats per token). */
    public double perplexity() {
      return Math.exp(total.perToken());
    }
  }

  /**
   * Scores {@code rows} (each {@code [L_i]}) in batches of at most {@code batch} rows of equal
   * length.
   */
  public static Result evaluate(
      DiffusionFamily family,
      Denoiser denoiser,
      SpecialTokens specials,
      List<int[]> rows,
      int batch,
      long seed) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    Map<Integer, List<int[]>> byLength = new TreeMap<>();
    for (int[] r : rows) {
      byLength.computeIfAbsent(r.length, k -> new ArrayList<>()).add(r);
    }
    TimeSampler times = new TimeSampler();
    PerplexityMeter meter = new PerplexityMeter();
    Rng root = new Rng(seed);
    int batches = 0;
    for (Map.Entry<Integer, List<int[]>> g : byLength.entrySet()) {
      int len = g.getKey();
      List<int[]> group = g.getValue();
      for (int first = 0; first < group.size(); first += batch) {
        int b = Math.min(batch, group.size() - first);
        int[] flat = new int[b * len];
        for (int r = 0; r < b; r++) {
          System.arraycopy(group.get(first + r), 0, flat, r * len, len);
        }
        Rng rng = root.split();
        double[] t = times.sampleEval(b, rng);
        meter.add(family.nelbo(denoiser, flat, b, len, t, specials, rng));
        batches++;
      }
    }
    return new Result(meter.total(), rows.size(), batches);
  }
}
