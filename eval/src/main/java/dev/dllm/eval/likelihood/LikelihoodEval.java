package dev.dllm.eval.likelihood;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Validation NLL / NELBO of a family on any set of token rows (spec §6.1): the family's float64
 * {@link DiffusionFamily#nelbo} (exact NLL for AR, an upper bound for diffusion families), summed
 * over the whole set with {@link PerplexityMeter} (token-weighted, float64).
 *
 * <p>The noise is a function of (seed, index of the row in the set) only, never of the batch size:
 * the times are stratified over the whole set ({@link TimeSampler#sampleGlobal} of n = all rows,
 * row i in stratum [i/n, (i+1)/n)), drawn first from {@code new Rng(seed)}, and row i then draws
 * its corruption from the i-th {@link Rng#split()} of that root ({@link
 * DiffusionFamily#nelboPerRow}). So {@code --batch 1} and {@code --batch 8} give the same value up
 * to float summation order.
 *
 * <p>Rows may differ in length (the last, partial block of a corpus): rows are grouped by length
 * and each group is run at its own length, so no PAD token is ever scored or attended (see {@link
 * UnpaddedForward}).
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
   * length; the result does not depend on {@code batch} (see the class comment).
   *
   * @param batch rows per forward, at least 1
   * @param seed the seed of the times and corruptions
   * @return Σ NLL (nats), Σ tokens, rows and forward batches
   * @throws IllegalArgumentException when batch &lt; 1
   */
  public static Result evaluate(
      DiffusionFamily family,
      Denoiser denoiser,
      SpecialTokens specials,
      List<int[]> rows,
      int batch,
      long seed) {
    return evaluate(family, denoiser, specials, rows, null, batch, seed, Progress.NONE);
  }

  /**
   * {@link #evaluate(DiffusionFamily, Denoiser, SpecialTokens, List, int, long)}, advancing {@code
   * progress} by the rows of each batch scored (rows.size() in all); the result is the same.
   */
  public static Result evaluate(
      DiffusionFamily family,
      Denoiser denoiser,
      SpecialTokens specials,
      List<int[]> rows,
      int batch,
      long seed,
      Progress progress) {
    return evaluate(family, denoiser, specials, rows, null, batch, seed, progress);
  }

  /**
   * The conditional likelihood of the free positions of {@code rows} given the others ({@link
   * DiffusionFamily#conditionalNelbo}: AR the exact NLL of the continuation, a diffusion family the
   * NELBO with the given positions clean and not scored), with the same times and streams as {@link
   * #evaluate(DiffusionFamily, Denoiser, SpecialTokens, List, int, long)}: row i's noise depends
   * only on (seed, i), so the result does not depend on {@code batch}. Only free positions count in
   * {@link NllSum#tokens()}.
   *
   * @param given one mask per row ({@code [L_i]}, true at prompt positions), or null for none
   * @throws IllegalArgumentException when batch &lt; 1 or a mask's length differs from its row's
   */
  public static Result evaluate(
      DiffusionFamily family,
      Denoiser denoiser,
      SpecialTokens specials,
      List<int[]> rows,
      List<boolean[]> given,
      int batch,
      long seed) {
    return evaluate(family, denoiser, specials, rows, given, batch, seed, Progress.NONE);
  }

  private static Result evaluate(
      DiffusionFamily family,
      Denoiser denoiser,
      SpecialTokens specials,
      List<int[]> rows,
      List<boolean[]> given,
      int batch,
      long seed,
      Progress progress) {
    if (given != null) {
      if (given.size() != rows.size()) {
        throw new IllegalArgumentException(given.size() + " masks for " + rows.size() + " rows");
      }
      for (int i = 0; i < rows.size(); i++) {
        if (given.get(i).length != rows.get(i).length) {
          throw new IllegalArgumentException(
              "mask " + i + " has " + given.get(i).length + " entries for " + rows.get(i).length);
        }
      }
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    PerplexityMeter meter = new PerplexityMeter();
    if (rows.isEmpty()) {
      return new Result(meter.total(), 0, 0);
    }
    Rng root = new Rng(seed);
    double[] times = new TimeSampler().sampleEval(rows.size(), root);
    Rng[] streams = new Rng[rows.size()];
    for (int i = 0; i < streams.length; i++) {
      streams[i] = root.split();
    }
    Map<Integer, List<Integer>> byLength = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      byLength.computeIfAbsent(rows.get(i).length, k -> new ArrayList<>()).add(i);
    }
    int batches = 0;
    for (Map.Entry<Integer, List<Integer>> g : byLength.entrySet()) {
      int len = g.getKey();
      List<Integer> group = g.getValue();
      for (int first = 0; first < group.size(); first += batch) {
        int b = Math.min(batch, group.size() - first);
        int[] flat = new int[b * len];
        boolean[] mask = given == null ? null : new boolean[b * len];
        double[] t = new double[b];
        Rng[] rng = new Rng[b];
        for (int r = 0; r < b; r++) {
          int i = group.get(first + r);
          System.arraycopy(rows.get(i), 0, flat, r * len, len);
          if (mask != null) {
            System.arraycopy(given.get(i), 0, mask, r * len, len);
          }
          t[r] = times[i];
          rng[r] = streams[i];
        }
        meter.add(
            mask == null
                ? family.nelboPerRow(denoiser, flat, b, len, t, specials, rng)
                : family.conditionalNelbo(denoiser, flat, mask, b, len, t, specials, rng));
        batches++;
        progress.advance(b);
      }
    }
    return new Result(meter.total(), rows.size(), batches);
  }
}
