package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Shared fixtures of the conditional Eso-LM tests (spec §4.4, §11.1). */
final class EsoLmConditionalFixtures {
  static final int L = 12;

  static EsoLmSampler sampler(double alpha0, int steps, boolean cache) {
    return (EsoLmSampler)
        new EsoLmFamily(alpha0, 0.5)
            .newSampler(new SamplerSpec(steps, 1.0, Map.of("kv_cache", Boolean.toString(cache))));
  }

  /**
   * Rows with prompts of 0, 3, 3, 7 and 1 tokens, a gap row (prefix, suffix, tail) and a fully
   * given row: two rows share a given count (one lock-step group with different plans).
   */
  static Conditioning mixed() {
    int[] gap = new int[L];
    Arrays.fill(gap, Conditioning.FREE);
    gap[0] = 1;
    gap[1] = 2;
    gap[7] = 3;
    gap[8] = 0;
    gap[11] = 4;
    int[] full = TestModels.tokens(1, L, 5);
    return Conditioning.stack(
        List.of(
            Conditioning.prefixes(
                List.of(
                    new int[0],
                    new int[] {5, 1, 2},
                    new int[] {0, 6, 6},
                    new int[] {1, 2, 3, 4, 5, 6, 7},
                    new int[] {2}),
                L),
            Conditioning.of(gap, 1, L),
            Conditioning.of(full, 1, L)));
  }

  static void assertHonours(Conditioning given, SampleBatch s) {
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < L; l++) {
        int id = s.tokens().get(b, l);
        assertTrue(id >= 0 && id < MASK, "row " + b + " position " + l + ": id " + id);
        if (given.isGiven(b, l)) {
          assertEquals(given.id(b, l), id, "given id changed at row " + b + ", position " + l);
        }
      }
    }
  }

  private EsoLmConditionalFixtures() {}
}
