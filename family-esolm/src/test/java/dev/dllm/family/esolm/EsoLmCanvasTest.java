package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.EsoLmConditionalFixtures.L;
import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The canvas the sampler reports before every network call ({@link EsoLmSampler#canvasListener}),
 * over rows of several lock-step groups (prompts of 0 … 7 tokens, a gap row, a fully given row):
 * one canvas per call, the first the conditioning with MASK at every free position, every later one
 * keeping all decoded ids of the one before and adding at least one (each call draws a token),
 * every decoded id the sampled one; the window KV cache and the full forward report the same
 * canvases.
 */
class EsoLmCanvasTest {

  static List<int[]> canvases(boolean cache, Conditioning given, SampleBatch[] out) {
    List<int[]> seen = new ArrayList<>();
    List<Integer> steps = new ArrayList<>();
    EsoLmSampler s = EsoLmConditionalFixtures.sampler(0.5, 4, cache);
    assertTrue(
        s.canvasListener(
            (step, ids) -> {
              steps.add(step);
              seen.add(ids);
            }));
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 31);
    out[0] =
        s.sample(dit, given, SPECIALS, Conditioning.rowStreams(new Rng(17), given.batch()), null);
    for (int k = 0; k < steps.size(); k++) {
      assertEquals(k, steps.get(k));
    }
    return seen;
  }

  @Test
  void everyCallSeesTheCanvasGrowTowardsTheSample() {
    Conditioning given = EsoLmConditionalFixtures.mixed();
    SampleBatch[] out = new SampleBatch[1];
    List<int[]> cached = canvases(true, given, out);
    int[] sample = out[0].tokens().ids();
    EsoLmConditionalFixtures.assertHonours(given, out[0]);
    assertEquals(out[0].nfe(), cached.size());
    int[] first = cached.get(0);
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < L; l++) {
        assertEquals(given.isGiven(b, l) ? given.id(b, l) : MASK, first[b * L + l]);
      }
    }
    int before = decoded(first);
    for (int k = 1; k < cached.size(); k++) {
      int[] prev = cached.get(k - 1);
      int[] now = cached.get(k);
      for (int i = 0; i < now.length; i++) {
        if (prev[i] != MASK) {
          assertEquals(prev[i], now[i], "call " + k + ", flat position " + i);
        }
        if (now[i] != MASK) {
          assertEquals(sample[i], now[i], "call " + k + ", flat position " + i);
        }
      }
      int count = decoded(now);
      assertTrue(count > before, "call " + k + " decoded nothing new");
      before = count;
    }
    assertTrue(decoded(sample) > before, "the last call draws tokens too");

    SampleBatch[] full = new SampleBatch[1];
    List<int[]> uncached = canvases(false, given, full);
    assertArrayEquals(sample, full[0].tokens().ids());
    assertEquals(cached.size(), uncached.size());
    for (int k = 0; k < cached.size(); k++) {
      assertArrayEquals(uncached.get(k), cached.get(k), "canvas before call " + (k + 1));
    }
  }

  private static int decoded(int[] ids) {
    int n = 0;
    for (int id : ids) {
      n += id == MASK ? 0 : 1;
    }
    return n;
  }
}
