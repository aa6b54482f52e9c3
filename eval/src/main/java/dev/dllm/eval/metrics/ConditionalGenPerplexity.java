package dev.dllm.eval.metrics;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generative perplexity of a continuation <em>given its prompt</em> (issue 16, "Measure and
 * report"): the AR scorer's exact likelihood of the continuation's tokens conditioned on the
 * prompt, −Σ log p(c_j | prompt, c_&lt;j), through the scorer family's {@link
 * DiffusionFamily#conditionalNelbo} with the prompt positions given (and never scored). The result
 * is corpus level, exp(Σ NLL / Σ scored tokens) in float64 over all rows and windows ({@link
 * PerplexityMeter}), never a mean of per-row perplexities. With empty prompts it is the
 * unconditional gen PPL of {@link GenerativePerplexity} (BOS prepended, every token scored), except
 * that a row longer than the scorer's context is scored with a sliding window instead of
 * independent chunks.
 *
 * <p>Each row is built in the scorer's tokenizer as {@code [BOS] + prompt' + continuation'}: the
 * prompt and the continuation are moved separately ({@link Retokenizer}: kept as ids for the same
 * tokenizer, else decoded and re-encoded, so the boundary between them stays exact); BOS is
 * prepended when the scorer has one and the row does not already start with it (an AR sample does).
 * Given = BOS and prompt positions. A row with neither BOS nor prompt gives its first token as
 * context (an AR scores a token only from the ones before it).
 *
 * <p>A row longer than the scorer's context {@code N} is scored by the strided sliding window of
 * fixed-length models: the first window is {@code [0, N)} and scores the continuation tokens in it;
 * each next window scores the next at most {@code N/2} tokens and ends at the last of them, so it
 * starts {@code N} tokens before its end (every scored token sees at least {@code N/2} tokens of
 * context, and every continuation token is scored exactly once). Prompt tokens that fall before a
 * window's start are counted in {@link Result#contextTokensCut()} (only the part of the prompt
 * nearest the continuation conditions it). For the P = C = 128 with a BOS and N = 256 that
 * is one window [0, 256) scoring 127 tokens and one [1, 257) scoring the last.
 *
 * <p>No padding is ever scored: windows are grouped by exact length and each group is run at that
 * length.
 */
public final class ConditionalGenPerplexity {
  private final ArScorer ar;

  /**
   * The outcome.
   *
   * @param rows number of (prompt, continuation) rows
   * @param scoredTokens Σ continuation tokens whose NLL was summed
   * @param nll Σ NLL in nats
   * @param perplexity exp(nll / scoredTokens)
   * @param retokenized whether the rows went through text into the scorer's tokenizer
   * @param droppedCharacters characters of the decoded rows the scorer's vocabulary lacked
   * @param windows number of scorer windows run
   * @param contextTokensCut Σ over windows of the row tokens before the window's start (context the
   *     scorer could not see: its context is shorter than the row)
   * @param context the scorer's context N
   */
  public record Result(
      int rows,
      long scoredTokens,
      double nll,
      double perplexity,
      boolean retokenized,
      long droppedCharacters,
      int windows,
      long contextTokensCut,
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
   * @param context its context N (its training sequence length), &gt;= 2
   * @param batch windows per forward pass, &gt;= 1
   * @throws InvalidInputException when the scorer family is not causal
   */
  public ConditionalGenPerplexity(
      Denoiser scorer,
      DiffusionFamily scorerFamily,
      Tokenizer scorerTokenizer,
      int context,
      int batch) {
    this.ar = new ArScorer(scorer, scorerFamily, scorerTokenizer, context, batch);
  }

  /** One scorer window: its tokens and how many leading ones are given. */
  private record Window(int[] ids, int given) {}

  /**
   * Scores each continuation given its prompt, both ids of {@code sampleTokenizer}.
   *
   * @param prompts one prompt per row (may be empty: scored given nothing but BOS)
   * @param continuations one continuation per row, the same count
   * @throws IllegalArgumentException when the counts differ
   */
  public Result score(List<int[]> prompts, List<int[]> continuations, Tokenizer sampleTokenizer) {
    if (prompts.size() != continuations.size()) {
      throw new IllegalArgumentException(
          prompts.size() + " prompts for " + continuations.size() + " continuations");
    }
    Retokenizer re = new Retokenizer(sampleTokenizer, ar.tokenizer());
    int bos = ar.tokenizer().specials().bos();
    Map<Integer, List<Window>> byLength = new TreeMap<>();
    long dropped = 0;
    long cut = 0;
    int windows = 0;
    for (int r = 0; r < prompts.size(); r++) {
      Retokenizer.Ids p = re.convert(prompts.get(r));
      Retokenizer.Ids c = re.convert(continuations.get(r));
      dropped += p.droppedCharacters() + c.droppedCharacters();
      int[] prompt = p.ids();
      int[] cont = c.ids();
      int[] text = new int[prompt.length + cont.length];
      System.arraycopy(prompt, 0, text, 0, prompt.length);
      System.arraycopy(cont, 0, text, prompt.length, cont.length);
      int[] row = ArScorer.withBos(text, bos);
      // given: the BOS (when added) and the prompt; at least the first token (scored from nothing)
      int given = Math.max(1, row.length - cont.length);
      for (int[] w : windows(row.length, given, ar.context())) {
        int from = w[0];
        int scoredFrom = w[1];
        int to = w[2];
        cut += from;
        byLength
            .computeIfAbsent(to - from, k -> new ArrayList<>())
            .add(new Window(Arrays.copyOfRange(row, from, to), scoredFrom - from));
        windows++;
      }
    }
    PerplexityMeter meter = new PerplexityMeter();
    for (Map.Entry<Integer, List<Window>> e : byLength.entrySet()) {
      scoreGroup(e.getKey(), e.getValue(), meter);
    }
    NllSum total = meter.total();
    return new Result(
        prompts.size(),
        total.tokens(),
        total.nll(),
        meter.perplexity(),
        re.retokenizes(),
        dropped,
        windows,
        cut,
        ar.context());
  }

  /**
   * The windows of a row of {@code n} tokens whose first {@code given} are context, for a scorer of
   * context {@code ctx}: {@code {start, firstScored, end}} each (see the class comment).
   */
  static List<int[]> windows(int n, int given, int ctx) {
    List<int[]> out = new ArrayList<>();
    int stride = Math.max(1, ctx / 2);
    int s = given;
    while (s < n) {
      int e = s < ctx ? Math.min(n, ctx) : Math.min(n, s + stride);
      out.add(new int[] {Math.max(0, e - ctx), s, e});
      s = e;
    }
    return out;
  }

  private void scoreGroup(int length, List<Window> rows, PerplexityMeter meter) {
    SpecialTokens sp = ar.tokenizer().specials();
    for (int first = 0; first < rows.size(); first += ar.batch()) {
      int b = Math.min(ar.batch(), rows.size() - first);
      int[] flat = new int[b * length];
      boolean[] given = new boolean[b * length];
      Rng[] streams = new Rng[b];
      Rng root = new Rng(0); // an AR likelihood draws no noise; the streams are never read
      for (int r = 0; r < b; r++) {
        Window w = rows.get(first + r);
        System.arraycopy(w.ids(), 0, flat, r * length, length);
        Arrays.fill(given, r * length, r * length + w.given(), true);
        streams[r] = root.split();
      }
      meter.add(
          ar.family()
              .conditionalNelbo(ar.net(), flat, given, b, length, new double[b], sp, streams));
    }
  }
}
