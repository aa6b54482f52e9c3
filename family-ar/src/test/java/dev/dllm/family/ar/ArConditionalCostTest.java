package dev.dllm.family.ar;

import static dev.dllm.family.ar.ArConditionalFixtures.SPECIALS;
import static dev.dllm.family.ar.ArConditionalFixtures.prompts;
import static dev.dllm.family.ar.ArConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Conditional AR sampling, issue 16: what a prompt costs in denoiser calls (one prefill). */
class ArConditionalCostTest {
  @Test
  void aPromptOfPTokensCostsOnePrefillCall() {
    float[][] table = ArSamplerTest.randomTable(5);
    int length = 10;
    for (int p : new int[] {1, 2, 4, 9}) {
      CountingDenoiser d = new CountingDenoiser(new BigramDenoiser(table, true));
      SampleBatch s =
          sampler(1, true, false).sample(d, prompts(length, p, p, p, p), SPECIALS, new Rng(1));
      assertEquals(1, d.prefills, "P = " + p);
      assertEquals(List.of(p), d.prefillCounts, "P = " + p);
      assertEquals(length - p - 1, d.nexts, "P = " + p);
      assertEquals(0, d.forwards);
      assertEquals(1 + (length - p - 1), s.nfe(), "NFE, P = " + p);
      assertEquals(d.calls(), s.nfe());
    }
    // rows with prompts 2, 5, 3 and an empty one (BOS): prefill of the shortest known prefix (1)
    CountingDenoiser mixed = new CountingDenoiser(new BigramDenoiser(table, true));
    SampleBatch s =
        sampler(1, true, false).sample(mixed, prompts(length, 3, 2, 5, 3, 0), SPECIALS, new Rng(1));
    assertEquals(List.of(1), mixed.prefillCounts);
    assertEquals(length - 1, s.nfe());
    CountingDenoiser noBos = new CountingDenoiser(new BigramDenoiser(table, true));
    s = sampler(1, true, false).sample(noBos, prompts(length, 3, 2, 5, 3), SPECIALS, new Rng(1));
    assertEquals(List.of(2), noBos.prefillCounts);
    assertEquals(1 + (length - 2 - 1), s.nfe());
    // without the cache: one full forward per call, the first over the whole prompt
    CountingDenoiser full = new CountingDenoiser(new BigramDenoiser(table, true));
    s = sampler(1, false, false).sample(full, prompts(length, 4, 4, 4), SPECIALS, new Rng(1));
    assertEquals(0, full.prefills + full.nexts);
    assertEquals(List.of(4, 5, 6, 7, 8, 9), full.forwardLengths);
    assertEquals(length - 4, s.nfe());
    // the BigramDenoiser's own prefill is one call too
    BigramDenoiser bigram = new BigramDenoiser(table, true);
    sampler(1, true, false).sample(bigram, prompts(length, 6, 6), SPECIALS, new Rng(1));
    assertEquals(1, bigram.prefillCalls);
    assertEquals(1 + (length - 6 - 1), bigram.cacheCalls);
  }

  @Test
  void aFullyGivenBatchCostsNothingAndListenerSeesEveryCall() {
    Sampler sampler = sampler(1, true, false);
    BigramDenoiser d = new BigramDenoiser(ArSamplerTest.randomTable(1), true);
    int[] ids = {2, 3, 4, 0};
    SampleBatch s = sampler.sample(d, Conditioning.of(ids, 1, 4), SPECIALS, new Rng(1));
    assertArrayEquals(ids, s.tokens().ids());
    assertEquals(0, s.nfe());
    assertEquals(0, d.cacheCalls + d.forwardCalls);
    assertTrue(sampler.reportsSteps());
    List<Integer> steps = new ArrayList<>();
    SampleBatch t =
        sampler.sample(
            d,
            prompts(8, 1, 3, 2),
            SPECIALS,
            Conditioning.rowStreams(new Rng(1), 2),
            (step, net, update, total) -> {
              assertTrue(net >= 0 && update >= 0 && net + update <= total);
              steps.add(step);
            });
    assertEquals(List.of(0, 1, 2, 3, 4, 5), steps);
    assertEquals(6, t.nfe());
  }
}
