package dev.dllm.family.ar;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Shared fixtures of the conditional (prompted) AR sampler tests, issue 16. */
final class ArConditionalFixtures {
  static final int V = ArSamplerTest.V;
  static final int MASK = ArSamplerTest.MASK;
  static final int BOS = ArSamplerTest.BOS;
  static final int EOS = 1;
  static final SpecialTokens SPECIALS = ArSamplerTest.SPECIALS;

  static Sampler sampler(double topP, boolean kvCache, boolean stopAtEos) {
    return new ArFamily()
        .newSampler(
            new SamplerSpec(0, topP, Map.of("kv_cache", Boolean.toString(kvCache)), stopAtEos));
  }

  /** Rows with prompts of the given lengths (random non-mask ids, seeded); the rest free. */
  static Conditioning prompts(int length, long seed, int... lengths) {
    java.util.Random r = new java.util.Random(seed);
    List<int[]> ps = new ArrayList<>();
    for (int p : lengths) {
      int[] ids = new int[p];
      for (int i = 0; i < p; i++) {
        ids[i] = r.nextInt(MASK); // ids 0..MASK-1 are real tokens (MASK = V - 1 here)
      }
      ps.add(ids);
    }
    return Conditioning.prefixes(ps, length);
  }

  private ArConditionalFixtures() {}
}
