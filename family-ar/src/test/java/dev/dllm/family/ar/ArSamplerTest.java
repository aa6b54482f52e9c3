package dev.dllm.family.ar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArSamplerTest {
  static final int V = 6;
  static final int MASK = 5;
  static final int BOS = 0;
  static final SpecialTokens SPECIALS = new SpecialTokens(BOS, 1, -1, MASK);

  static float[][] randomTable(long seed) {
    java.util.Random r = new java.util.Random(seed);
    float[][] t = new float[V][V];
    for (float[] row : t) {
      for (int v = 0; v < V; v++) {
        row[v] = (float) r.nextGaussian();
      }
      row[MASK] = 20f; // must never be sampled
    }
    return t;
  }

  static SamplerSpec spec(double topP, Map<String, String> options) {
    return new SamplerSpec(0, topP, options);
  }

  @Test
  void kvCacheAndFullForwardsGiveTheSameSamples() {
    float[][] table = randomTable(3);
    BigramDenoiser cached = new BigramDenoiser(table, true);
    SampleBatch a =
        new ArFamily().newSampler(spec(1, Map.of())).sample(cached, 7, 12, SPECIALS, new Rng(42));
    assertEquals(11, a.nfe());
    assertEquals(11, cached.cacheCalls);
    assertEquals(0, cached.forwardCalls);

    BigramDenoiser full = new BigramDenoiser(table, true);
    SampleBatch b =
        new ArFamily()
            .newSampler(spec(1, Map.of("kv_cache", "false")))
            .sample(full, 7, 12, SPECIALS, new Rng(42));
    assertEquals(11, b.nfe());
    assertEquals(11, full.forwardCalls);
    assertEquals(0, full.cacheCalls);
    assertArrayEquals(a.tokens().ids(), b.tokens().ids());
    for (int r = 0; r < 7; r++) {
      assertEquals(BOS, a.tokens().get(r, 0));
      for (int l = 0; l < 12; l++) {
        assertTrue(a.tokens().get(r, l) != MASK);
      }
    }
  }

  private static void assertTrue(boolean b) {
    org.junit.jupiter.api.Assertions.assertTrue(b);
  }

  @Test
  void firstDrawFollowsTheSoftmaxOfTheBosRow() {
    float[][] table = randomTable(9);
    int n = 100_000;
    SampleBatch s =
        new ArFamily()
            .newSampler(spec(1, Map.of()))
            .sample(new BigramDenoiser(table, true), n, 2, SPECIALS, new Rng(5));
    double z = 0;
    for (int v = 0; v < V; v++) {
      z += v == MASK ? 0 : Math.exp(table[BOS][v]);
    }
    int[] counts = new int[V];
    for (int r = 0; r < n; r++) {
      counts[s.tokens().get(r, 1)]++;
    }
    assertEquals(0, counts[MASK]);
    for (int v = 0; v < V; v++) {
      if (v == MASK) {
        continue;
      }
      double p = Math.exp(table[BOS][v]) / z;
      assertEquals(p, counts[v] / (double) n, 5 * Math.sqrt(p * (1 - p) / n), "token " + v);
    }
  }

  @Test
  void seededDeterminismAndRowStreamsIndependentOfBatchSize() {
    float[][] table = randomTable(4);
    var sampler = new ArFamily().newSampler(spec(1, Map.of()));
    SampleBatch a = sampler.sample(new BigramDenoiser(table, true), 5, 9, SPECIALS, new Rng(77));
    SampleBatch b = sampler.sample(new BigramDenoiser(table, true), 5, 9, SPECIALS, new Rng(77));
    SampleBatch c = sampler.sample(new BigramDenoiser(table, true), 3, 9, SPECIALS, new Rng(77));
    SampleBatch d = sampler.sample(new BigramDenoiser(table, true), 5, 9, SPECIALS, new Rng(78));
    assertArrayEquals(a.tokens().ids(), b.tokens().ids());
    assertArrayEquals(Arrays.copyOf(a.tokens().ids(), 27), c.tokens().ids());
    org.junit.jupiter.api.Assertions.assertFalse(Arrays.equals(a.tokens().ids(), d.tokens().ids()));
  }

  @Test
  void samplesDoNotDependOnThreadCount() throws Exception {
    float[][] table = randomTable(6);
    var sampler = new ArFamily().newSampler(spec(0.95, Map.of()));
    int[][] results = new int[3][];
    int[] threads = {1, 2, 5};
    for (int i = 0; i < threads.length; i++) {
      java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(threads[i]);
      try {
        results[i] =
            pool.submit(
                    () ->
                        sampler.sample(
                            new BigramDenoiser(table, true), 9, 10, SPECIALS, new Rng(3)))
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
  void topPRestrictsToTheNucleus() {
    // from every token: p = {0.5, 0.3, 0.15, 0.05, 0} over ids 0..4 -> top-p 0.6 keeps {0, 1}
    float[][] table = new float[V][V];
    double[] p = {0.5, 0.3, 0.15, 0.05};
    for (float[] row : table) {
      for (int v = 0; v < 4; v++) {
        row[v] = (float) Math.log(p[v]);
      }
      row[4] = -1000f;
    }
    int n = 20_000;
    SampleBatch s =
        new ArFamily()
            .newSampler(spec(0.6, Map.of()))
            .sample(new BigramDenoiser(table, true), n, 2, SPECIALS, new Rng(8));
    int[] counts = new int[V];
    for (int r = 0; r < n; r++) {
      counts[s.tokens().get(r, 1)]++;
    }
    assertEquals(0, counts[2] + counts[3] + counts[4] + counts[MASK]);
    double keep0 = 0.5 / 0.8;
    assertEquals(keep0, counts[0] / (double) n, 5 * Math.sqrt(keep0 * (1 - keep0) / n));
  }

  @Test
  void badOptionsAreInvalidInput() {
    ArFamily ar = new ArFamily();
    assertThrows(InvalidInputException.class, () -> ar.newSampler(spec(1, Map.of("steps", "3"))));
    assertThrows(
        InvalidInputException.class, () -> ar.newSampler(spec(1, Map.of("kv_cache", "yes"))));
    assertThrows(
        InvalidInputException.class,
        () ->
            ar.newSampler(spec(1, Map.of()))
                .sample(
                    new BigramDenoiser(randomTable(1), true),
                    1,
                    4,
                    new SpecialTokens(-1, 1, -1, MASK),
                    new Rng(1)));
  }
}
