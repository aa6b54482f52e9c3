package dev.dllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.TestModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerativePerplexityTest {
  private static final int V = 64;

  /** Logits at a position holding token 1 give p(next = 1) = e^-1; token 2 gives p(2) = e^-3. */
  private static Denoiser scorer() {
    return TestModels.perToken(
        V,
        tok -> {
          float[] row = new float[V];
          double nll = tok == 1 ? 1 : tok == 2 ? 3 : Math.log(V);
          // p(tok) = 1 / (1 + (V-1) e^z) = e^-nll  =>  e^z = (e^nll - 1) / (V - 1)
          float z = (float) Math.log((Math.exp(nll) - 1) / (V - 1));
          Arrays.fill(row, z);
          if (tok == 1 || tok == 2) {
            row[tok] = 0;
          }
          return row;
        });
  }

  private static int[] repeat(int id, int n) {
    int[] a = new int[n];
    Arrays.fill(a, id);
    return a;
  }

  @Test
  void tokenWeightedCorpusLevel19_6917() {
    Tokenizer tok = TestModels.letters(V, "letters");
    GenerativePerplexity gp =
        new GenerativePerplexity(scorer(), FamilyRegistry.load().get("ar"), tok, 2048, 4);
    // sample A: 11 tokens -> 10 scored, 10 nats; sample B: 1001 tokens -> 1000 scored, 3000 nats
    GenerativePerplexity.Result r = gp.score(List.of(repeat(1, 11), repeat(2, 1001)), tok);
    assertEquals(2, r.samples());
    assertEquals(1010, r.scoredTokens());
    assertEquals(3010, r.nll(), 1e-3);
    assertEquals(19.6917, r.perplexity(), 1e-3);
    // not the mean of per-sample perplexities (e^1 + e^3) / 2 = 11.4019
    assertNotEquals(11.4019, r.perplexity(), 1e-2);
    assertFalse(r.retokenized());
  }

  @Test
  void chunksAtTheScorerContext() {
    Tokenizer tok = TestModels.letters(V, "letters");
    GenerativePerplexity gp =
        new GenerativePerplexity(scorer(), FamilyRegistry.load().get("ar"), tok, 8, 2);
    // 20 tokens -> chunks of 8, 8, 4 -> 7 + 7 + 3 scored tokens, 1 nat each
    GenerativePerplexity.Result r = gp.score(List.of(repeat(1, 20)), tok);
    assertEquals(3, r.chunks());
    assertEquals(17, r.scoredTokens());
    assertEquals(17, r.nll(), 1e-3);
  }

  @Test
  void retokenizesThroughTextAndCountsUnknownCharacters() {
    Tokenizer scorerTok = TestModels.letters(3, "abc"); // knows a, b, c only
    Tokenizer sampleTok = TestModels.letters(V, "letters");
    Denoiser uniform = TestModels.perToken(3, t -> new float[3]); // every NLL = ln 3
    GenerativePerplexity gp =
        new GenerativePerplexity(uniform, FamilyRegistry.load().get("ar"), scorerTok, 64, 4);
    // "abzc" -> z unknown to the scorer: dropped -> "abc" -> 2 scored tokens
    GenerativePerplexity.Result r = gp.score(List.of(new int[] {0, 1, 25, 2}), sampleTok);
    assertTrue(r.retokenized());
    assertEquals(1, r.droppedCharacters());
    assertEquals(2, r.scoredTokens());
    assertEquals(3, r.perplexity(), 1e-5);
  }

  @Test
  void rejectsANonCausalScorer() {
    Tokenizer tok = TestModels.letters(V, "letters");
    assertThrows(
        InvalidInputException.class,
        () -> new GenerativePerplexity(scorer(), FamilyRegistry.load().get("mdlm"), tok, 8, 1));
  }
}
