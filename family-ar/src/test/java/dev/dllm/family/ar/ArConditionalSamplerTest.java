package dev.dllm.family.ar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.hipparchus.special.Gamma;
import org.junit.jupiter.api.Test;

/** Conditional (prompted) AR sampling, issue 16: prefix only, one prefill, exact chain. */
class ArConditionalSamplerTest {
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

  /** -log-free exact chain: softmax of table[a] over the non-mask ids, in float64. */
  static double[] chain(float[][] table, int from) {
    double z = 0;
    double[] p = new double[V];
    for (int v = 0; v < V; v++) {
      if (v != MASK) {
        p[v] = Math.exp(table[from][v]);
        z += p[v];
      }
    }
    for (int v = 0; v < V; v++) {
      p[v] /= z;
    }
    return p;
  }

  /**
   * Oracle: given the prompt (3, 2, 4) the two generated tokens (x_3, x_4) follow the exact Markov
   * chain p(x_3 | 4)·p(x_4 | x_3); Pearson chi-square over the 25 non-mask cells (df 24), fixed
   * seed, p-value from the regularized upper incomplete gamma Q(df/2, chi²/2).
   */
  @Test
  void generatedTokensFollowTheExactChainGivenThePrompt() {
    float[][] table = ArSamplerTest.randomTable(11);
    int n = 40_000;
    int length = 5;
    int[] prompt = {3, 2, 4};
    List<int[]> ps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ps.add(prompt);
    }
    SampleBatch s =
        sampler(1, true, false)
            .sample(
                new BigramDenoiser(table, true),
                Conditioning.prefixes(ps, length),
                SPECIALS,
                new Rng(2026));
    long[][] counts = new long[V][V];
    for (int r = 0; r < n; r++) {
      for (int l = 0; l < 3; l++) {
        assertEquals(prompt[l], s.tokens().get(r, l));
      }
      counts[s.tokens().get(r, 3)][s.tokens().get(r, 4)]++;
    }
    double[] first = chain(table, 4);
    double chi2 = 0;
    int cells = 0;
    for (int a = 0; a < V; a++) {
      double[] second = chain(table, a);
      for (int b = 0; b < V; b++) {
        if (a == MASK || b == MASK) {
          assertEquals(0, counts[a][b], "MASK drawn");
          continue;
        }
        double expected = n * first[a] * second[b];
        chi2 += (counts[a][b] - expected) * (counts[a][b] - expected) / expected;
        cells++;
      }
    }
    int df = cells - 1;
    assertEquals(24, df);
    double pValue = Gamma.regularizedGammaQ(df / 2.0, chi2 / 2);
    assertTrue(pValue > 1e-3, "chi2 " + chi2 + " df " + df + " p " + pValue);
    assertEquals(2, s.nfe()); // one prefill of 3 tokens + one next
  }

  /** The same oracle on the first generated token, full causal forwards (no KV cache). */
  @Test
  void firstGeneratedTokenFollowsTheChainFromTheLastPromptToken() {
    float[][] table = ArSamplerTest.randomTable(12);
    int n = 30_000;
    List<int[]> ps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ps.add(new int[] {2, 0});
    }
    SampleBatch s =
        sampler(1, false, false)
            .sample(
                new BigramDenoiser(table, false),
                Conditioning.prefixes(ps, 3),
                SPECIALS,
                new Rng(9));
    long[] counts = new long[V];
    for (int r = 0; r < n; r++) {
      counts[s.tokens().get(r, 2)]++;
    }
    double[] p = chain(table, 0);
    double chi2 = 0;
    for (int v = 0; v < V; v++) {
      if (v != MASK) {
        chi2 += (counts[v] - n * p[v]) * (counts[v] - n * p[v]) / (n * p[v]);
      }
    }
    assertEquals(0, counts[MASK]);
    double pValue = Gamma.regularizedGammaQ((V - 2) / 2.0, chi2 / 2);
    assertTrue(pValue > 1e-3, "chi2 " + chi2 + " p " + pValue);
    assertEquals(1, s.nfe());
  }

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

  /** The pre-issue-16 unconditional loop (BOS, then next() per position), kept as an oracle. */
  static int[] legacySample(Denoiser d, int batch, int length, Rng rng) {
    Rng[] rows = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = rng.split();
    }
    int[] x = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      x[b * length] = BOS;
    }
    try (KvCacheDecoder decoder = d.kvCacheDecoder(batch).orElseThrow()) {
      int[] fed = new int[batch];
      for (int i = 0; i < length - 1; i++) {
        for (int b = 0; b < batch; b++) {
          fed[b] = x[b * length + i];
        }
        Logits logits = decoder.next(fed);
        for (int b = 0; b < batch; b++) {
          x[b * length + i + 1] =
              Categorical.sampleLogits(
                  logits.values(), logits.offset(b, 0), V, MASK, rows[b], new double[V]);
        }
      }
    }
    return x;
  }

  @Test
  void unconditionalIsConditioningNoneAndUnchanged() {
    float[][] table = ArSamplerTest.randomTable(7);
    int batch = 6;
    int length = 11;
    for (boolean cache : new boolean[] {true, false}) {
      Sampler sampler = sampler(1, cache, false);
      SampleBatch plain =
          sampler.sample(new BigramDenoiser(table, true), batch, length, SPECIALS, new Rng(13));
      SampleBatch none =
          sampler.sample(
              new BigramDenoiser(table, true),
              Conditioning.none(batch, length),
              SPECIALS,
              Conditioning.rowStreams(new Rng(13), batch),
              null);
      assertArrayEquals(plain.tokens().ids(), none.tokens().ids());
      assertEquals(length - 1, plain.nfe());
      assertEquals(length - 1, none.nfe());
      assertArrayEquals(
          legacySample(new BigramDenoiser(table, true), batch, length, new Rng(13)),
          plain.tokens().ids(),
          "samples changed for the same seed, kv_cache=" + cache);
    }
  }

  @Test
  void batchedRowsWithDifferentPromptsEqualRowsAloneAtAnyThreadCount() throws Exception {
    float[][] table = ArSamplerTest.randomTable(8);
    int length = 12;
    Conditioning given = prompts(length, 21, 0, 3, 1, 7, 11, 2, 5);
    for (double topP : new double[] {1, 0.8}) {
      for (boolean cache : new boolean[] {true, false}) {
        Sampler sampler = sampler(topP, cache, false);
        int[][] byThreads = new int[2][];
        for (int t = 0; t < 2; t++) {
          ForkJoinPool pool = new ForkJoinPool(t + 1);
          try {
            byThreads[t] =
                pool.submit(
                        () ->
                            sampler
                                .sample(
                                    new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
                                .tokens()
                                .ids())
                    .get();
          } finally {
            pool.shutdown();
          }
        }
        assertArrayEquals(byThreads[0], byThreads[1], "1 vs 2 threads");
        int[] batched = byThreads[0];
        Rng[] rows = Conditioning.rowStreams(new Rng(4), given.batch());
        for (int b = 0; b < given.batch(); b++) {
          Conditioning one = given.row(b);
          SampleBatch alone =
              sampler.sample(
                  new BigramDenoiser(table, true), one, SPECIALS, new Rng[] {rows[b]}, null);
          assertArrayEquals(
              Arrays.copyOfRange(batched, b * length, (b + 1) * length),
              alone.tokens().ids(),
              "row " + b + " topP " + topP + " cache " + cache);
          assertEquals(length - Math.max(1, one.prefixLength(0)), alone.nfe());
          for (int l = 0; l < length; l++) {
            if (one.isGiven(0, l)) {
              assertEquals(one.id(0, l), batched[b * length + l], "given id at " + l);
            } else {
              assertTrue(batched[b * length + l] != MASK);
            }
          }
          if (!one.isGiven(0, 0)) {
            assertEquals(BOS, batched[b * length]);
          }
        }
      }
    }
    // KV cache and full forwards give the same conditional samples
    assertArrayEquals(
        sampler(1, true, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
            .tokens()
            .ids(),
        sampler(1, false, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
            .tokens()
            .ids());
  }

  @Test
  void aSuffixOrGapIsRefusedNamingThePosition() {
    Sampler sampler = sampler(1, true, false);
    assertFalse(sampler.supportsInfill());
    Conditioning gap = Conditioning.infill(new int[] {2, 3}, 3, new int[] {4}, new int[0]);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    new BigramDenoiser(ArSamplerTest.randomTable(1), true),
                    gap,
                    SPECIALS,
                    new Rng(1)));
    assertTrue(e.getMessage().contains("position 5"), e.getMessage());
    assertTrue(e.getMessage().contains("row 0"), e.getMessage());
    // a second row with a gap, the first a plain prompt
    int[] ids = {2, 3, -1, -1, -1, -1, 2, -1, -1, 4, -1, -1};
    InvalidInputException e2 =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    new BigramDenoiser(ArSamplerTest.randomTable(1), true),
                    Conditioning.of(ids, 2, 6),
                    SPECIALS,
                    new Rng(1)));
    assertTrue(
        e2.getMessage().contains("row 1") && e2.getMessage().contains("position 3"),
        e2.getMessage());
    // the same refusal for the conditional likelihood
    boolean[] mask = new boolean[ids.length];
    for (int i = 0; i < ids.length; i++) {
      mask[i] = ids[i] >= 0;
    }
    int[] x0 = {2, 3, 0, 0, 0, 0, 2, 0, 0, 4, 0, 0};
    InvalidInputException e3 =
        assertThrows(
            InvalidInputException.class,
            () ->
                new ArFamily()
                    .conditionalNelbo(
                        new BigramDenoiser(ArSamplerTest.randomTable(1), false),
                        x0,
                        mask,
                        2,
                        6,
                        null,
                        SPECIALS,
                        Conditioning.rowStreams(new Rng(1), 2)));
    assertTrue(e3.getMessage().contains("position 3"), e3.getMessage());
  }

  /** Rows stop at their first generated EOS; the rest is EOS; the call count drops. */
  @Test
  void stopAtEosStopsEarlyAndFillsEos() {
    float[][] table = ArSamplerTest.randomTable(14);
    for (float[] row : table) {
      row[EOS] = 0.5f; // EOS likely enough to end most rows early
    }
    int length = 24;
    int[] ids = prompts(length, 5, 0, 2, 4, 1, 3, 6).ids();
    ids[1 * length + 1] = EOS; // an EOS inside a prompt does not stop the row
    Conditioning given = Conditioning.of(ids, 6, length);
    SampleBatch full =
        sampler(1, true, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(3));
    CountingDenoiser d = new CountingDenoiser(new BigramDenoiser(table, true));
    SampleBatch stop = sampler(1, true, true).sample(d, given, SPECIALS, new Rng(3));
    int last = 0;
    for (int b = 0; b < given.batch(); b++) {
      int start = Math.max(1, given.prefixLength(b));
      int firstEos = -1;
      for (int l = start; l < length && firstEos < 0; l++) {
        if (full.tokens().get(b, l) == EOS) {
          firstEos = l;
        }
      }
      int end = firstEos < 0 ? length - 1 : firstEos;
      last = Math.max(last, end);
      for (int l = 0; l < length; l++) {
        int want = l <= end ? full.tokens().get(b, l) : EOS;
        assertEquals(want, stop.tokens().get(b, l), "row " + b + " position " + l);
      }
    }
    assertTrue(last < length - 1, "the fixture should end every row early, last EOS at " + last);
    assertEquals(last - 1 + 1, stop.nfe()); // positions 1 .. last, one call each
    assertEquals(d.calls(), stop.nfe());
    assertTrue(stop.nfe() < full.nfe());
    assertEquals(length - 1, full.nfe());
    // without the cache: the same samples and calls
    SampleBatch stopFull =
        sampler(1, false, true)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(3));
    assertArrayEquals(stop.tokens().ids(), stopFull.tokens().ids());
    assertEquals(stop.nfe(), stopFull.nfe());
    // a row sampled alone ends the same way
    Rng[] rows = Conditioning.rowStreams(new Rng(3), given.batch());
    for (int b = 0; b < given.batch(); b++) {
      assertArrayEquals(
          Arrays.copyOfRange(stop.tokens().ids(), b * length, (b + 1) * length),
          sampler(1, true, true)
              .sample(
                  new BigramDenoiser(table, true),
                  given.row(b),
                  SPECIALS,
                  new Rng[] {rows[b]},
                  null)
              .tokens()
              .ids());
    }
  }

  @Test
  void deterministicEosEndsAfterOneCall() {
    float[][] table = new float[V][V];
    for (float[] row : table) {
      row[EOS] = 60f; // EOS from every token, with probability 1 - 1e-25
    }
    int length = 9;
    Conditioning given = prompts(length, 2, 0, 3);
    CountingDenoiser d = new CountingDenoiser(new BigramDenoiser(table, true));
    SampleBatch s = sampler(1, true, true).sample(d, given, SPECIALS, new Rng(5));
    // row 0 (BOS) draws EOS at 1; row 1 is teacher-forced to 3 and draws EOS at 3
    assertEquals(3, s.nfe());
    assertEquals(List.of(1), d.prefillCounts);
    assertEquals(2, d.nexts);
    int[] want0 = {BOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS};
    assertArrayEquals(want0, Arrays.copyOfRange(s.tokens().ids(), 0, length));
    for (int l = 0; l < 3; l++) {
      assertEquals(given.id(1, l), s.tokens().get(1, l));
    }
    for (int l = 3; l < length; l++) {
      assertEquals(EOS, s.tokens().get(1, l));
    }
    // a fully given row has nothing to generate and keeps its ids when the others stop
    int[] ids = {BOS, -1, -1, -1, 2, 3, 4, 0};
    SampleBatch f =
        sampler(1, true, true)
            .sample(
                new BigramDenoiser(table, true), Conditioning.of(ids, 2, 4), SPECIALS, new Rng(5));
    assertArrayEquals(new int[] {BOS, EOS, EOS, EOS, 2, 3, 4, 0}, f.tokens().ids());
    assertEquals(1, f.nfe());
  }

  @Test
  void aGivenMaskOrOutOfVocabularyIdIsRefused() {
    Sampler sampler = sampler(1, true, false);
    BigramDenoiser d = new BigramDenoiser(ArSamplerTest.randomTable(1), true);
    InvalidInputException mask =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    d, Conditioning.of(new int[] {2, MASK, -1, -1}, 1, 4), SPECIALS, new Rng(1)));
    assertTrue(mask.getMessage().contains("MASK") && mask.getMessage().contains("position 1"));
    InvalidInputException vocab =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    d, Conditioning.of(new int[] {V, -1, -1, -1}, 1, 4), SPECIALS, new Rng(1)));
    assertTrue(vocab.getMessage().contains("outside the vocabulary"), vocab.getMessage());
    // no BOS: a free position 0 is refused, a given one is fine
    SpecialTokens noBos = new SpecialTokens(-1, EOS, -1, MASK);
    assertThrows(
        InvalidInputException.class,
        () -> sampler.sample(d, Conditioning.none(1, 4), noBos, new Rng(1)));
    SampleBatch ok = sampler.sample(d, prompts(4, 1, 2), noBos, new Rng(1));
    assertEquals(2, ok.nfe());
    assertEquals(0, d.forwardCalls);
    assertThrows(
        IllegalArgumentException.class,
        () -> sampler.sample(d, Conditioning.none(2, 4), SPECIALS, new Rng[] {new Rng(1)}, null));
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
