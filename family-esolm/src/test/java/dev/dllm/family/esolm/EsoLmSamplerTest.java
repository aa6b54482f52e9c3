package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binomial plan, sequential phase and KV-cache exactness (spec §4.4, §10.12). */
class EsoLmSamplerTest {

  private static EsoLmSampler sampler(double alpha0, int steps, boolean cache) {
    return (EsoLmSampler)
        new EsoLmFamily(alpha0, 0.5)
            .newSampler(new SamplerSpec(steps, 1.0, Map.of("kv_cache", Boolean.toString(cache))));
  }

  @Test
  void planCoversEveryTokenWithoutEmptySteps() {
    Rng rng = new Rng(1);
    for (double alpha0 : new double[] {1.0, 0.7, 0.0}) {
      for (int trial = 0; trial < 20; trial++) {
        UnmaskingPlan p = UnmaskingPlan.draw(new EsoLmSchedule(alpha0), 16, 40, rng);
        int sum = 0;
        for (int k : p.steps()) {
          assertTrue(k >= 1);
          sum += k;
        }
        assertEquals(40, sum);
        if (alpha0 == 1) {
          assertEquals(40, p.diffusionTokens());
          assertTrue(p.nfe() <= 16);
        } else if (alpha0 == 0) {
          assertEquals(0, p.diffusionTokens());
          assertEquals(40, p.nfe());
        }
        // the sequential tail is one token per step
        int tail = 0;
        for (int i = p.steps().length - (40 - p.diffusionTokens()); i < p.steps().length; i++) {
          tail += p.steps()[i];
        }
        assertEquals(40 - p.diffusionTokens(), tail);
      }
    }
  }

  /** About alpha_0 · L tokens come from diffusion: P(clean at t = 0) = alpha_0. */
  @Test
  void diffusionPhaseProducesAlphaZeroOfTheTokens() {
    Rng rng = new Rng(2);
    double total = 0;
    int n = 400;
    for (int i = 0; i < n; i++) {
      total += UnmaskingPlan.draw(new EsoLmSchedule(0.6), 8, 50, rng).diffusionTokens();
    }
    // mean 30, sd of the mean sqrt(50·0.24/400) ≈ 0.17
    assertEquals(30.0, total / n, 1.0);
  }

  /**
   * Cached (window) and uncached (full sorted-causal forward) sampling with the same seed draw the
   * same tokens, and the logits of every drawn token agree within 1e-4.
   */
  @Test
  void kvCacheIsExact() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 12);
    for (double alpha0 : new double[] {1.0, 0.5}) {
      List<float[]> withCache = new ArrayList<>();
      List<float[]> without = new ArrayList<>();
      SampleBatch a =
          sampler(alpha0, 5, true)
              .listener((i, l) -> withCache.add(l))
              .sample(dit, 2, 12, SPECIALS, new Rng(9));
      SampleBatch b =
          sampler(alpha0, 5, false)
              .listener((i, l) -> without.add(l))
              .sample(dit, 2, 12, SPECIALS, new Rng(9));
      assertArrayEquals(b.tokens().ids(), a.tokens().ids());
      assertEquals(b.nfe(), a.nfe());
      assertEquals(withCache.size(), a.nfe());
      assertEquals(without.size(), withCache.size());
      for (int i = 0; i < withCache.size(); i++) {
        float[] x = withCache.get(i);
        float[] y = without.get(i);
        assertEquals(y.length, x.length);
        for (int j = 0; j < x.length; j++) {
          assertEquals(y[j], x[j], 1e-4, "step " + i);
        }
      }
      for (int id : a.tokens().ids()) {
        assertTrue(id >= 0 && id < MASK);
      }
      if (alpha0 < 1) {
        assertTrue(a.nfe() > 5, "sequential phase adds steps");
      }
    }
  }

  /** The cache path really is used (fewer tokens per call) when the denoiser offers it. */
  @Test
  void cachePathFeedsOnlyWindows() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 13);
    int[] maxWidth = {0};
    Denoiser spy =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return dit.vocabSize();
          }

          @Override
          public dev.dllm.api.Logits forward(dev.dllm.api.TokenBatch t, float[] s) {
            throw new AssertionError("the cache path must not run full forwards");
          }

          @Override
          public java.util.Optional<dev.dllm.api.WindowKvCacheDecoder> windowKvCacheDecoder(
              int batch) {
            var inner = dit.windowKvCacheDecoder(batch).orElseThrow();
            return java.util.Optional.of(
                new dev.dllm.api.WindowKvCacheDecoder() {
                  @Override
                  public dev.dllm.api.Logits step(int[] tok, int[] pos, int w, int commit) {
                    maxWidth[0] = Math.max(maxWidth[0], w);
                    return inner.step(tok, pos, w, commit);
                  }

                  @Override
                  public int cached() {
                    return inner.cached();
                  }

                  @Override
                  public void close() {
                    inner.close();
                  }
                });
          }
        };
    SampleBatch s = sampler(0.0, 4, true).sample(spy, 1, 10, SPECIALS, new Rng(3));
    assertEquals(10, s.nfe()); // alpha_0 = 0: L sequential steps
    assertEquals(2, maxWidth[0]); // previous token + the new mask
  }

  /**
   * alpha_0 = 0 is AR sampling left to right: with a unigram model giving one token almost all the
   * mass, every position gets it; and no denoiser without layouts is accepted.
   */
  @Test
  void sequentialPhaseAndErrors() {
    TestModels.Unigram peaked = new TestModels.Unigram(1);
    java.util.Arrays.fill(peaked.table, -30f);
    peaked.table[3] = 30f;
    SampleBatch s = sampler(0.0, 4, false).sample(peaked, 2, 6, SPECIALS, new Rng(1));
    assertArrayEquals(new int[] {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, s.tokens().ids());
    assertThrows(
        InvalidInputException.class,
        () -> new EsoLmFamily().newSampler(new SamplerSpec(4, 1.0, Map.of("predictor", "x"))));
    assertThrows(
        InvalidInputException.class,
        () -> new EsoLmFamily().newSampler(new SamplerSpec(4, 1.0, Map.of("kv_cache", "yes"))));
    assertThrows(
        InvalidInputException.class,
        () ->
            sampler(1, 4, false)
                .sample(peaked, 1, 4, new SpecialTokens(-1, -1, -1, -1), new Rng(1)));
  }
}
