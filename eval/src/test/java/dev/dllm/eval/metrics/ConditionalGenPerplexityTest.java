package dev.dllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ConditionalGenPerplexity} against a hand computation: the scorer is an AR bigram (the
 * logits at a position depend only on the token there, so p(next | everything before) =
 * P[cur][next] with P a fixed random matrix), whose conditional NLL of a continuation given a
 * prompt is Σ_j −log P[prev_j][c_j] with prev_0 the prompt's last token (BOS for no prompt),
 * computed here in float64 from the same float logits, independently of the family code.
 */
class ConditionalGenPerplexityTest {
  private static final int V = 12;
  private static final int BOS = V - 1;
  private static final float[][] LOGITS = new float[V][V];

  static {
    SplittableRandom r = new SplittableRandom(7);
    for (int a = 0; a < V; a++) {
      for (int b = 0; b < V; b++) {
        LOGITS[a][b] = (float) (3 * (r.nextDouble() - 0.5));
      }
    }
  }

  private static final Denoiser BIGRAM = TestModels.perToken(V, tok -> LOGITS[tok].clone());
  private static final Tokenizer TOK =
      TestModels.letters(V, "letters12", new SpecialTokens(BOS, -1, -1, -1));
  private static final DiffusionFamily AR = FamilyRegistry.load().get("ar");

  /** −log P[a][b] in float64 from the float logits. */
  private static double nll(int a, int b) {
    double max = Double.NEGATIVE_INFINITY;
    for (float z : LOGITS[a]) {
      max = Math.max(max, z);
    }
    double sum = 0;
    for (float z : LOGITS[a]) {
      sum += Math.exp(z - max);
    }
    return -(LOGITS[a][b] - max - Math.log(sum));
  }

  /** Σ NLL of {@code cont} after {@code prompt} (BOS when empty), by hand. */
  private static double handNll(int[] prompt, int[] cont) {
    int prev = prompt.length == 0 ? BOS : prompt[prompt.length - 1];
    double s = 0;
    for (int c : cont) {
      s += nll(prev, c);
      prev = c;
    }
    return s;
  }

  private static int[] random(SplittableRandom r, int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextInt(V - 1); // never BOS
    }
    return a;
  }

  private static ConditionalGenPerplexity scorer(int context, int batch) {
    return new ConditionalGenPerplexity(BIGRAM, AR, TOK, context, batch);
  }

  @Test
  void equalsTheHandComputedConditionalNllCorpusLevel() {
    SplittableRandom r = new SplittableRandom(1);
    List<int[]> prompts = new ArrayList<>();
    List<int[]> conts = new ArrayList<>();
    double sum = 0;
    long tokens = 0;
    double meanOfRowPpl = 0;
    for (int i = 0; i < 9; i++) {
      int[] p = random(r, 3 + i % 4); // prompts of different lengths in one call
      int[] c = random(r, 2 + 3 * i); // and continuations of different lengths
      prompts.add(p);
      conts.add(c);
      double h = handNll(p, c);
      sum += h;
      tokens += c.length;
      meanOfRowPpl += Math.exp(h / c.length) / 9;
    }
    ConditionalGenPerplexity.Result res = scorer(64, 4).score(prompts, conts, TOK);
    assertEquals(9, res.rows());
    assertEquals(tokens, res.scoredTokens(), "only continuation tokens are scored");
    assertEquals(sum, res.nll(), 1e-9 * sum);
    assertEquals(Math.exp(sum / tokens), res.perplexity(), 1e-9 * res.perplexity());
    assertNotEquals(meanOfRowPpl, res.perplexity(), 1e-6, "never a mean of per-row PPLs");
    assertEquals(9, res.windows());
    assertEquals(0, res.contextTokensCut());
  }

  @Test
  void thePromptChangesTheScore() {
    int[] cont = {3, 1, 4, 1, 5, 9, 2, 6};
    int[] prompt = {7, 0, 8};
    ConditionalGenPerplexity gp = scorer(64, 2);
    ConditionalGenPerplexity.Result given = gp.score(List.of(prompt), List.of(cont), TOK);
    ConditionalGenPerplexity.Result nothing = gp.score(List.of(new int[0]), List.of(cont), TOK);
    assertEquals(cont.length, given.scoredTokens());
    assertEquals(cont.length, nothing.scoredTokens());
    assertEquals(handNll(prompt, cont), given.nll(), 1e-9);
    assertEquals(handNll(new int[0], cont), nothing.nll(), 1e-9);
    // only the first continuation token's predecessor differs: 8 (the prompt's last) vs BOS
    assertEquals(nll(8, 3) - nll(BOS, 3), given.nll() - nothing.nll(), 1e-9);
    assertTrue(Math.abs(given.nll() - nothing.nll()) > 1e-3, "the prompt must change the score");
    // and a different last prompt token gives a different score
    ConditionalGenPerplexity.Result other =
        gp.score(List.of(new int[] {7, 0, 2}), List.of(cont), TOK);
    assertEquals(nll(2, 3) - nll(8, 3), other.nll() - given.nll(), 1e-9);
  }

  @Test
  void anEmptyPromptIsTheUnconditionalGenPpl() {
    SplittableRandom r = new SplittableRandom(3);
    List<int[]> samples = new ArrayList<>();
    List<int[]> empty = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      samples.add(random(r, 10 + i));
      empty.add(new int[0]);
    }
    GenerativePerplexity.Result plain =
        new GenerativePerplexity(BIGRAM, AR, TOK, 32, 3).score(samples, TOK);
    ConditionalGenPerplexity.Result cond = scorer(32, 3).score(empty, samples, TOK);
    assertEquals(plain.scoredTokens(), cond.scoredTokens());
    assertEquals(plain.nll(), cond.nll(), 1e-9);
    // a row that starts with BOS (an AR sample) gets no second BOS
    int[] withBos = {BOS, 4, 5, 6};
    ConditionalGenPerplexity.Result b =
        scorer(32, 3).score(List.of(new int[0]), List.of(withBos), TOK);
    assertEquals(3, b.scoredTokens());
    assertEquals(handNll(new int[0], new int[] {4, 5, 6}), b.nll(), 1e-9);
  }

  @Test
  void rowsLongerThanTheContextAreScoredOnceEachBySlidingWindows() {
    SplittableRandom r = new SplittableRandom(5);
    List<int[]> prompts = new ArrayList<>();
    List<int[]> conts = new ArrayList<>();
    double sum = 0;
    long tokens = 0;
    for (int i = 0; i < 4; i++) {
      int[] p = random(r, 5 + 4 * i);
      int[] c = random(r, 11 + 7 * i);
      prompts.add(p);
      conts.add(c);
      sum += handNll(p, c);
      tokens += c.length;
    }
    // a bigram needs one token of context: windows of 8 must give exactly the full-context value
    ConditionalGenPerplexity.Result res = scorer(8, 3).score(prompts, conts, TOK);
    assertEquals(tokens, res.scoredTokens());
    assertEquals(sum, res.nll(), 1e-9 * sum);
    assertTrue(res.windows() > 4 && res.contextTokensCut() > 0, res.toString());
  }

  @Test
  void windowsOfTheIssueSetting() {
    // BOS + 128 prompt + 128 continuation under a scorer of context 256
    List<int[]> w = ConditionalGenPerplexity.windows(257, 129, 256);
    assertEquals(2, w.size());
    assertArrayEquals(new int[] {0, 129, 256}, w.get(0));
    assertArrayEquals(new int[] {1, 256, 257}, w.get(1));
    // fits: one window
    assertEquals(1, ConditionalGenPerplexity.windows(200, 100, 256).size());
    // a long continuation: strides of context / 2, each ending N after its start
    List<int[]> long_ = ConditionalGenPerplexity.windows(40, 1, 16);
    int covered = 0;
    int prev = 1;
    for (int[] x : long_) {
      assertEquals(prev, x[1], "contiguous, no token scored twice or skipped");
      assertTrue(x[2] - x[0] <= 16 && x[1] - x[0] >= Math.min(x[1], 8), "context >= N/2");
      covered += x[2] - x[1];
      prev = x[2];
    }
    assertEquals(39, covered);
  }

  @Test
  void rejectsANonCausalScorerAndMismatchedRows() {
    assertThrows(
        InvalidInputException.class,
        () -> new ConditionalGenPerplexity(BIGRAM, FamilyRegistry.load().get("mdlm"), TOK, 8, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> scorer(8, 1).score(List.of(new int[1]), List.of(), TOK));
  }
}
