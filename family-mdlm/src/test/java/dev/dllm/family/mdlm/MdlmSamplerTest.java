package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MdlmSamplerTest {
  // V = 8 real ids + MASK; the mask id sits in the middle (4)
  static final int V = 9;
  static final int MASK = 4;
  static final int L = 16;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  static Sampler sampler(int steps, double topP, Map<String, String> options) {
    return new MdlmFamily().newSampler(new SamplerSpec(steps, topP, options));
  }

  /** Every non-mask token of every recorded input survives unchanged to the final sample. */
  static void assertCopyThrough(TestDenoisers.Recording d, TokenBatch out) {
    TokenBatch previous = null;
    for (TokenBatch in : d.inputs) {
      for (int i = 0; i < in.ids().length; i++) {
        if (previous != null && previous.ids()[i] != MASK) {
          assertEquals(previous.ids()[i], in.ids()[i], "a clean token changed at " + i);
        }
        if (in.ids()[i] != MASK) {
          assertEquals(in.ids()[i], out.ids()[i], "a clean token changed at " + i);
        }
      }
      previous = in;
    }
  }

  static int masks(TokenBatch t) {
    return (int) Arrays.stream(t.ids()).filter(v -> v == MASK).count();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16, 128})
  void ancestralCachedAndNotNoMaskCopyThroughAndHonestNfe(int steps) {
    int batch = 6;
    TestDenoisers.Recording plain = new TestDenoisers.Recording(V, MASK);
    SampleBatch a =
        sampler(steps, 1, Map.of("predictor", "ancestral"))
            .sample(plain, batch, L, SPECIALS, new Rng(steps));
    TestDenoisers.Recording cached = new TestDenoisers.Recording(V, MASK);
    SampleBatch c =
        sampler(steps, 1, Map.of("predictor", "ancestral_cache"))
            .sample(cached, batch, L, SPECIALS, new Rng(steps));
    for (SampleBatch s : new SampleBatch[] {a, c}) {
      assertEquals(0, masks(s.tokens()));
      assertEquals(batch, s.tokens().batch());
      assertEquals(L, s.tokens().length());
    }
    assertCopyThrough(plain, a.tokens());
    assertCopyThrough(cached, c.tokens());
    assertEquals(steps + 1, a.nfe());
    assertEquals(steps + 1, plain.inputs.size());
    assertEquals(cached.inputs.size(), c.nfe());
    // the cache is shared by the batch: any changed row forces a forward
    assertTrue(c.nfe() <= Math.min(steps, batch * L) + 1, "cached NFE " + c.nfe());
    TestDenoisers.Recording single = new TestDenoisers.Recording(V, MASK);
    SampleBatch one =
        sampler(steps, 1, Map.of("predictor", "ancestral_cache"))
            .sample(single, 1, L, SPECIALS, new Rng(steps + 1000));
    assertEquals(0, masks(one.tokens()));
    assertCopyThrough(single, one.tokens());
    assertTrue(one.nfe() <= Math.min(steps, L) + 1, "single-row cached NFE " + one.nfe());
    if (steps == 128) {
      assertTrue(one.nfe() < steps + 1); // the cache saved forwards
    }
    // the cache only skips forwards whose logits would be identical: same draws, same samples
    assertArrayEquals(a.tokens().ids(), c.tokens().ids());
    // the first input is the all-mask prior
    assertEquals(batch * L, masks(plain.inputs.get(0)));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16, 128})
  void fixedCountUnmasksBalancedCounts(int steps) {
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    int batch = 3;
    SampleBatch s =
        sampler(steps, 1, Map.of("predictor", "fixed_count"))
            .sample(d, batch, L, SPECIALS, new Rng(1));
    assertEquals(0, masks(s.tokens()));
    assertCopyThrough(d, s.tokens());
    assertEquals(Math.min(steps, L), s.nfe());
    int lo = L / steps;
    int hi = (L + steps - 1) / steps;
    int before = batch * L;
    for (int i = 1; i <= d.inputs.size(); i++) {
      int after = i < d.inputs.size() ? masks(d.inputs.get(i)) : 0;
      int perRow = (before - after) / batch;
      assertEquals(before - after, perRow * batch);
      assertTrue(perRow >= Math.max(lo, 1) && perRow <= hi, "unmasked " + perRow + " per row");
      before = after;
    }
  }

  @Test
  void fixedCountWithTEqualsLUnmasksExactlyOnePerStep() {
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    SampleBatch s =
        sampler(L, 1, Map.of("predictor", "fixed_count")).sample(d, 2, L, SPECIALS, new Rng(4));
    assertEquals(L, s.nfe());
    for (int i = 0; i < L; i++) {
      assertEquals(2 * (L - i), masks(d.inputs.get(i)));
    }
  }

  @Test
  void parallelDecodingOracle() {
    int n = 10_000;
    int length = 4;
    SpecialTokens specials = new SpecialTokens(-1, -1, -1, 2);
    Denoiser exact = TestDenoisers.twoSequences();
    SampleBatch ancestral =
        sampler(1, 1, Map.of("predictor", "ancestral"))
            .sample(exact, n, length, specials, new Rng(1));
    SampleBatch fixed =
        sampler(4, 1, Map.of("predictor", "fixed_count"))
            .sample(exact, n, length, specials, new Rng(1));
    // T = 1: all four positions are drawn independently from the all-mask marginal (1/2, 1/2),
    // so P(mixed) = 1 - 2/16 = 0.875
    assertEquals(0.875, mixedFraction(ancestral.tokens()), 0.01);
    assertEquals(2, ancestral.nfe());
    // one position per step from the exact conditional: never mixed
    assertEquals(0.0, mixedFraction(fixed.tokens()), 0.0);
    assertEquals(4, fixed.nfe());
    // and both sequences still appear about equally often
    long allA = 0;
    for (int b = 0; b < n; b++) {
      allA += fixed.tokens().get(b, 0) == 0 ? 1 : 0;
    }
    assertEquals(0.5, allA / (double) n, 0.02);
  }

  private static double mixedFraction(TokenBatch t) {
    int mixed = 0;
    for (int b = 0; b < t.batch(); b++) {
      for (int l = 1; l < t.length(); l++) {
        assertNotEquals(2, t.get(b, l));
        if (t.get(b, l) != t.get(b, 0)) {
          mixed++;
          break;
        }
      }
    }
    return mixed / (double) t.batch();
  }

  @Test
  void seededDeterminismIndependentOfBatchComposition() {
    Sampler s = sampler(8, 1, Map.of());
    int[] a =
        s.sample(new TestDenoisers.Recording(V, MASK), 4, L, SPECIALS, new Rng(5)).tokens().ids();
    int[] b =
        s.sample(new TestDenoisers.Recording(V, MASK), 4, L, SPECIALS, new Rng(5)).tokens().ids();
    int[] c =
        s.sample(new TestDenoisers.Recording(V, MASK), 4, L, SPECIALS, new Rng(6)).tokens().ids();
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
    // fixed_count (one forward per step; logits of a row depend only on that row): row 0 alone
    // equals row 0 of a batch of 4
    Sampler f = sampler(L, 1, Map.of("predictor", "fixed_count"));
    int[] four =
        f.sample(new TestDenoisers.Recording(V, MASK), 4, L, SPECIALS, new Rng(7)).tokens().ids();
    int[] one =
        f.sample(new TestDenoisers.Recording(V, MASK), 1, L, SPECIALS, new Rng(7)).tokens().ids();
    assertArrayEquals(Arrays.copyOf(four, L), one);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ancestral", "ancestral_cache", "fixed_count"})
  void samplesDoNotDependOnThreadCount(String predictor) throws Exception {
    Sampler s = sampler(8, 0.9, Map.of("predictor", predictor));
    int[][] results = new int[3][];
    int[] threads = {1, 2, 5};
    for (int i = 0; i < threads.length; i++) {
      java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(threads[i]);
      try {
        results[i] =
            pool.submit(
                    () ->
                        s.sample(new TestDenoisers.Recording(V, MASK), 7, L, SPECIALS, new Rng(9)))
                .get()
                .tokens()
                .ids();
      } finally {
        pool.shutdown();
      }
    }
    assertArrayEquals(results[0], results[1]);
    assertArrayEquals(results[0], results[2]);
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    // p(x0) = {0.5, 0.3, 0.15, 0.05} over ids {0, 1, 2, 3} at every position; top-p 0.6 -> {0, 1}
    double[] p = {0.5, 0.3, 0.15, 0.05};
    Denoiser d =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return V;
          }

          @Override
          public Logits forward(TokenBatch tokens, float[] sigma) {
            float[] out = new float[tokens.ids().length * V];
            for (int i = 0; i < tokens.ids().length; i++) {
              Arrays.fill(out, i * V, (i + 1) * V, -1000f);
              for (int v = 0; v < 4; v++) {
                out[i * V + v] = (float) Math.log(p[v]);
              }
              out[i * V + MASK] = 50f;
            }
            return new Logits(out, tokens.batch(), tokens.length(), V);
          }
        };
    int[] counts = new int[V];
    for (String predictor : new String[] {"ancestral_cache", "fixed_count"}) {
      SampleBatch s =
          sampler(4, 0.6, Map.of("predictor", predictor)).sample(d, 500, L, SPECIALS, new Rng(3));
      for (int id : s.tokens().ids()) {
        counts[id]++;
      }
    }
    int n = 2 * 500 * L;
    assertEquals(n, counts[0] + counts[1]);
    assertEquals(0.625, counts[0] / (double) n, 0.02);
  }

  @Test
  void semiAutoregressiveGenerationBeyondL() {
    int strides = 3;
    int stride = 4;
    int length = 8;
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    SampleBatch s =
        sampler(
                length,
                1,
                Map.of(
                    "predictor",
                    "fixed_count",
                    "strides",
                    "" + strides,
                    "stride_length",
                    "" + stride))
            .sample(d, 2, length, SPECIALS, new Rng(2));
    int total = length + strides * stride;
    assertEquals(total, s.tokens().length());
    assertEquals(0, masks(s.tokens()));
    assertEquals((strides + 1) * length - strides * (length - stride), s.nfe());
    // every input is a window of the output at offset S * (block index); the masks count goes up
    // exactly when a new block starts, and its first L - S tokens are the carried-over ones
    int block = 0;
    int previous = Integer.MAX_VALUE;
    for (TokenBatch in : d.inputs) {
      int m = masks(in);
      if (m > previous) {
        block++;
        assertEquals(2 * stride, m);
      }
      previous = m;
      for (int b = 0; b < 2; b++) {
        for (int l = 0; l < length; l++) {
          if (in.get(b, l) != MASK) {
            assertEquals(s.tokens().get(b, block * stride + l), in.get(b, l));
          }
        }
      }
    }
    assertEquals(strides, block);
  }

  @Test
  void badOptionsAreInvalidInput() {
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("predictor", "greedy")));
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("kv_cache", "true")));
    assertThrows(InvalidInputException.class, () -> sampler(0, 1, Map.of()));
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("strides", "2")));
    assertThrows(
        InvalidInputException.class, () -> sampler(4, 1, Map.of("noise_removal", "greedy")));
    assertThrows(
        InvalidInputException.class,
        () ->
            sampler(4, 1, Map.of("strides", "1", "stride_length", "8"))
                .sample(TestDenoisers.uniform(V, MASK), 1, 8, SPECIALS, new Rng(1)));
  }
}
