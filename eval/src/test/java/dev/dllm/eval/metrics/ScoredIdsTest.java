package dev.dllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.Denoiser;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Entropy and gen PPL look at the same ids of a sample: PAD and MASK skipped by both. */
class ScoredIdsTest {
  private static final int V = 8;
  private static final int PAD = 6;
  private static final int MASK = 7;
  private static final SpecialTokens SP = new SpecialTokens(-1, -1, PAD, MASK);

  @Test
  void entropySkipsExactlyTheIdsGenPplSkips() {
    int[] sample = {1, 2, PAD, 1, 2, MASK, PAD, PAD};
    assertArrayEquals(new int[] {1, 2, 1, 2}, ScoredIds.of(sample, SP));
    // two ids, each twice: ln 2 (with PAD counted it would be 1.0397 nats)
    assertEquals(Math.log(2), EntropyStats.mean(List.of(sample), SP), 1e-12);

    Tokenizer tok = TestModels.letters(V, "letters", SP);
    Denoiser uniform = TestModels.perToken(V, t -> new float[V]);
    GenerativePerplexity gp =
        new GenerativePerplexity(uniform, FamilyRegistry.load().get("ar"), tok, 64, 2);
    GenerativePerplexity.Result r = gp.score(List.of(sample), tok);
    // no BOS: 4 scored ids -> 3 predicted tokens, the same ids the entropy saw
    assertEquals(ScoredIds.of(sample, SP).length - 1, r.scoredTokens());
  }

  @Test
  void absentSpecialsDropNothing() {
    int[] sample = {0, 5, 6, 7};
    assertArrayEquals(sample, ScoredIds.of(sample, new SpecialTokens(-1, -1, -1, -1)));
  }
}
