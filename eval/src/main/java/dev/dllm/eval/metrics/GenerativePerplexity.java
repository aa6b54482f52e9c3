package dev.dllm.eval.metrics;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generative perplexity (spec §6.2, [SD] metrics.py {@code record_generative_perplexity}): samples
 * are moved into the scorer's tokenizer ({@link Retokenizer}: kept as ids when the tokenizers are
 * the same, else decoded to text and re-encoded), BOS is prepended when the scorer has one, each
 * sample is cut into chunks of at most {@code context} tokens, and every chunk is scored by the
 * scorer's exact AR likelihood ({@link DiffusionFamily#nelbo} of a causal family: position l
 * predicts token l + 1). The result is corpus level, exp(Σ NLL / Σ scored tokens) in float64 over
 * all samples and chunks ({@link PerplexityMeter}), never a mean of per-sample perplexities.
 *
 * <p>No padding is ever scored: chunks are grouped by their exact length and each group is run at
 * that length, so no row of a batch carries PAD tokens (with causal attention earlier positions
 * could not see right padding anyway).
 */
public final class GenerativePerplexity {
  private final ArScorer ar;

  /**
   * The outcome.
   *
   * @param samples number of samples scored
   * @param scoredTokens Σ tokens whose NLL was summed (chunk length − 1 per chunk)
   * @param nll Σ NLL in nats
   * @param perplexity exp(nll / scoredTokens)
   * @param retokenized whether samples went through text into the scorer's tokenizer
   * @param droppedCharacters characters of the decoded samples the scorer's vocabulary lacked
   * @param chunks number of scored chunks
   * @param context the scorer's chunk length
   */
  public record Result(
      int samples,
      long scoredTokens,
      double nll,
      double perplexity,
      boolean retokenized,
      long droppedCharacters,
      int chunks,
      int context) {

    /** NLL per scored token in nats. */
    public double natsPerToken() {
      return ArScorer.natsPerToken(nll, scoredTokens);
    }
  }

  /**
   * @param scorer the AR scorer's network (e.g. an ONNX export)
   * @param scorerFamily its family; must have a causal backbone
   * @param scorerTokenizer its tokenizer
   * @param context its chunk length (its training sequence length), &gt;= 2
   * @param batch chunks per forward pass, &gt;= 1
   * @throws InvalidInputException when the scorer family is not causal
   */
  public GenerativePerplexity(
      Denoiser scorer,
      DiffusionFamily scorerFamily,
      Tokenizer scorerTokenizer,
      int context,
      int batch) {
    this.ar = new ArScorer(scorer, scorerFamily, scorerTokenizer, context, batch);
  }

  /**
   * Scores samples given as ids of {@code sampleTokenizer}.
   *
   * @param samples one id array per sample
   */
  public Result score(List<int[]> samples, Tokenizer sampleTokenizer) {
    return score(samples, sampleTokenizer, true);
  }

  /**
   * Scores samples given as ids of {@code sampleTokenizer}, with or without the scorer's BOS
   * prepended. Every chunk's first token is context only. With BOS, a sample of exactly {@code
   * context} ids has its ids 0 … context − 2 scored (its last id falls into a chunk of one token,
   * which is not scored); without BOS, its ids 1 … context − 1 (the first is context only, as the
   * reference code scores samples).
   *
   * @param prependBos whether each sample starts with the scorer's BOS (when it has one)
   */
  public Result score(List<int[]> samples, Tokenizer sampleTokenizer, boolean prependBos) {
    return score(samples, sampleTokenizer, prependBos, ProgressReporter.NONE);
  }

  /**
   * {@link #score(List, Tokenizer, boolean)}, showing its progress as a phase {@code "gen PPL"} of
   * as many units as scored chunks; the result is the same.
   */
  public Result score(
      List<int[]> samples, Tokenizer sampleTokenizer, boolean prependBos, ProgressReporter shown) {
    return scoreEach(List.of(samples), sampleTokenizer, prependBos, shown).get(0);
  }

  /**
   * Scores each group of samples on its own (a result per group, as {@link #score(List, Tokenizer,
   * boolean)} gives it), showing one phase {@code "gen PPL"} of as many units as the groups'
   * chunks.
   */
  public List<Result> scoreEach(
      List<List<int[]>> groups,
      Tokenizer sampleTokenizer,
      boolean prependBos,
      ProgressReporter shown) {
    Retokenizer re = new Retokenizer(sampleTokenizer, ar.tokenizer());
    List<Prepared> prepared = new ArrayList<>();
    int all = 0;
    for (List<int[]> samples : groups) {
      Prepared p = prepare(samples, re, prependBos);
      prepared.add(p);
      all += p.chunks();
    }
    List<Result> out = new ArrayList<>();
    try (Progress progress = shown.start("gen PPL", Math.max(1, all), "chunks")) {
      for (Prepared p : prepared) {
        PerplexityMeter meter = new PerplexityMeter();
        for (Map.Entry<Integer, List<int[]>> e : p.byLength().entrySet()) {
          scoreGroup(e.getKey(), e.getValue(), meter, progress);
        }
        NllSum total = meter.total();
        out.add(
            new Result(
                p.samples(),
                total.tokens(),
                total.nll(),
                meter.perplexity(),
                re.retokenizes(),
                p.dropped(),
                p.chunks(),
                ar.context()));
      }
    }
    return out;
  }

  /** Samples cut into scorer chunks, grouped by exact length. */
  private record Prepared(
      int samples, Map<Integer, List<int[]>> byLength, long dropped, int chunks) {}

  private Prepared prepare(List<int[]> samples, Retokenizer re, boolean prependBos) {
    SpecialTokens sp = ar.tokenizer().specials();
    Map<Integer, List<int[]>> byLength = new TreeMap<>();
    long dropped = 0;
    int chunks = 0;
    for (int[] sample : samples) {
      Retokenizer.Ids converted = re.convert(sample);
      dropped += converted.droppedCharacters();
      int[] ids = prependBos ? ArScorer.withBos(converted.ids(), sp.bos()) : converted.ids();
      for (int from = 0; from < ids.length; from += ar.context()) {
        int len = Math.min(ar.context(), ids.length - from);
        if (len >= 2) {
          int[] chunk = java.util.Arrays.copyOfRange(ids, from, from + len);
          byLength.computeIfAbsent(len, k -> new ArrayList<>()).add(chunk);
          chunks++;
        }
      }
    }
    return new Prepared(samples.size(), byLength, dropped, chunks);
  }

  private void scoreGroup(int length, List<int[]> rows, PerplexityMeter meter, Progress progress) {
    for (int first = 0; first < rows.size(); first += ar.batch()) {
      int b = Math.min(ar.batch(), rows.size() - first);
      int[] flat = new int[b * length];
      for (int r = 0; r < b; r++) {
        System.arraycopy(rows.get(first + r), 0, flat, r * length, length);
      }
      meter.add(
          ar.family()
              .nelbo(ar.net(), flat, b, length, new double[b], ar.tokenizer().specials(), null));
      progress.advance(b);
    }
  }
}
