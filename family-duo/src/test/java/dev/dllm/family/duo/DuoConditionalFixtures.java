package dev.dllm.family.duo;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Shared fixtures of Duo's conditional sampler tests (issue 16). */
final class DuoConditionalFixtures {
  static final int V = 9;
  static final int MASK = 3;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final int L = 8;

  static Sampler sampler(int steps, double topP, Map<String, String> options) {
    return new DuoFamily().newSampler(new SamplerSpec(steps, topP, options));
  }

  /** Rows with prompts of 0, 1, 3 and 6 tokens (no mask id), then a row with gaps. */
  static Conditioning mixed() {
    List<int[]> prompts =
        List.of(new int[0], new int[] {5}, new int[] {2, 8, 0}, new int[] {7, 7, 1, 4, 6, 2});
    int[] gaps = new int[L];
    Arrays.fill(gaps, Conditioning.FREE);
    gaps[0] = 4;
    gaps[1] = 5;
    gaps[4] = 8;
    gaps[7] = 1; // prefix 2, gap 2, one given, gap 2, one given at the end
    return Conditioning.stack(
        List.of(Conditioning.prefixes(prompts, L), Conditioning.of(gaps, 1, L)));
  }

  static final String[] REMOVALS = {"ancestral", "greedy", "none"};

  private DuoConditionalFixtures() {}
}
