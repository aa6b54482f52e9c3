package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Conditional Eso-LM sampling and likelihood on a random float64 DiT (spec §4.4, §11.1). */
class EsoLmConditionalTest {
  private static final int L = 12;

  private static EsoLmSampler sampler(double alpha0, int steps, boolean cache) {
    return (EsoLmSampler)
        new EsoLmFamily(alpha0, 0.5)
            .newSampler(new SamplerSpec(steps, 1.0, Map.of("kv_cache", Boolean.toString(cache))));
  }

  /**
   * Rows with prompts of 0, 3, 3, 7 and 1 tokens, a gap row (prefix, suffix, tail) and a fully
   * given row: two rows share a given count (one lock-step group with different plans).
   */
  private static Conditioning mixed() {
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

  private static void assertHonours(Conditioning given, SampleBatch s) {
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

  /**
   * Given ids come back verbatim; kv_cache=true and false give the same samples and NFE; each row
   * batched equals the row sampled alone (same stream), for alpha_0 in {1, 0.5, 0}.
   */
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.5, 0.0})
  void givenVerbatimCacheExactAndBatchInvariant(double alpha0) {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 21);
    Conditioning given = mixed();
    int batch = given.batch();
    SampleBatch cached =
        sampler(alpha0, 5, true)
            .sample(dit, given, SPECIALS, Conditioning.rowStreams(new Rng(4), batch), null);
    SampleBatch plain =
        sampler(alpha0, 5, false)
            .sample(dit, given, SPECIALS, Conditioning.rowStreams(new Rng(4), batch), null);
    assertHonours(given, cached);
    assertArrayEquals(plain.tokens().ids(), cached.tokens().ids(), "kv_cache true vs false");
    assertEquals(plain.nfe(), cached.nfe());
    for (int b = 0; b < batch; b++) {
      for (boolean cache : new boolean[] {true, false}) {
        Rng own = Conditioning.rowStreams(new Rng(4), batch)[b];
        SampleBatch alone =
            sampler(alpha0, 5, cache).sample(dit, given.row(b), SPECIALS, new Rng[] {own}, null);
        assertArrayEquals(
            Arrays.copyOfRange(cached.tokens().ids(), b * L, (b + 1) * L),
            alone.tokens().ids(),
            "row " + b + " alone, kv_cache " + cache);
      }
    }
    // the fully given row costs nothing and comes back as given
    assertEquals(0, sampler(alpha0, 5, true).sample(dit, given.row(6), SPECIALS, new Rng(1)).nfe());
  }

  /** Unconditional sampling is the conditional sampler with nothing given, on the row splits. */
  @Test
  void unconditionalIsConditioningNone() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 22);
    for (boolean cache : new boolean[] {true, false}) {
      SampleBatch plain = sampler(1.0, 4, cache).sample(dit, 3, L, SPECIALS, new Rng(8));
      SampleBatch none =
          sampler(1.0, 4, cache)
              .sample(
                  dit,
                  Conditioning.none(3, L),
                  SPECIALS,
                  Conditioning.rowStreams(new Rng(8), 3),
                  null);
      assertArrayEquals(plain.tokens().ids(), none.tokens().ids());
      assertEquals(plain.nfe(), none.nfe());
      List<Long> network = new ArrayList<>();
      sampler(1.0, 4, cache)
          .sample(dit, 3, L, SPECIALS, new Rng(8), (i, net, upd, all) -> network.add(net));
      assertEquals(plain.nfe(), network.size(), "one timing report per network call");
    }
  }

  /** The draws run in parallel over rows; the samples do not depend on the pool's size. */
  @Test
  void samplesDoNotDependOnThreads() throws Exception {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 23);
    Conditioning given = mixed();
    int[][] out = new int[2][];
    int[] threads = {1, 3};
    for (int i = 0; i < 2; i++) {
      ForkJoinPool pool = new ForkJoinPool(threads[i]);
      try {
        out[i] =
            pool.submit(
                    () ->
                        sampler(1.0, 6, true)
                            .sample(dit, given, SPECIALS, new Rng(11))
                            .tokens()
                            .ids())
                .get();
      } finally {
        pool.shutdown();
      }
    }
    assertArrayEquals(out[0], out[1]);
  }

  /**
   * With the KV cache a prompt of P tokens is encoded once: the first window call of its group
   * feeds exactly the P given tokens plus the first k masks and commits the P tokens; no call feeds
   * a given position again; NFE = the window calls = the non-empty steps (&lt;= T) of the plan over
   * the L − P free positions.
   */
  @Test
  void promptCostsOnePrefillWindowCall() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 24);
    for (int p : new int[] {1, 5, 9}) {
      int[] prompt = TestModels.tokens(1, p, p);
      Conditioning given = Conditioning.prefixes(List.of(prompt, prompt), L);
      Spy spy = new Spy(dit);
      int steps = 4;
      SampleBatch s = sampler(1.0, steps, true).sample(spy, given, SPECIALS, new Rng(p));
      assertHonours(given, s);
      assertEquals(0, spy.forwards, "no full forward with the cache");
      assertEquals(1, spy.decoders, "one decoder for the two rows of equal prompt length");
      assertEquals(s.nfe(), spy.calls.size(), "NFE = window calls");
      assertTrue(s.nfe() <= steps, "at most T calls: the prompt adds none");
      int[] first = spy.calls.get(0);
      assertEquals(p, first[1], "the first call commits the prompt");
      assertTrue(first[0] > p, "and predicts the first masks in the same call");
      for (int b = 0; b < 2; b++) {
        for (int l = 0; l < p; l++) {
          assertEquals(prompt[l], spy.firstTokens[b * first[0] + l], "prompt fed in order");
          assertEquals(l, spy.firstPositions[b * first[0] + l], "at its own rotary position");
        }
      }
      for (int c = 1; c < spy.calls.size(); c++) {
        for (int pos : spy.positionsOf.get(c)) {
          assertTrue(pos >= p, "call " + c + " re-feeds prompt position " + pos);
        }
      }
      assertTrue(spy.maxCached < L, "the cache never exceeds the row: " + spy.maxCached);
    }
    // different prompt lengths: one decoder (and one prefill) per given count
    Spy spy = new Spy(dit);
    Conditioning two =
        Conditioning.prefixes(
            List.of(new int[] {1, 2}, new int[] {3, 4, 5, 6}, new int[] {0, 0}), L);
    SampleBatch s = sampler(1.0, 4, true).sample(spy, two, SPECIALS, new Rng(5));
    assertHonours(two, s);
    assertEquals(2, spy.decoders);
    assertEquals(s.nfe(), spy.calls.size());
  }

  /** Refusals: a given MASK id, an id outside the vocabulary, a wrong number of row streams. */
  @Test
  void badConditioningIsRefused() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 25);
    EsoLmSampler s = sampler(1.0, 4, true);
    InvalidInputException mask =
        assertThrows(
            InvalidInputException.class,
            () ->
                s.sample(
                    dit,
                    Conditioning.prefixes(List.of(new int[] {1, MASK}), L),
                    SPECIALS,
                    new Rng(1)));
    assertTrue(mask.getMessage().contains("MASK"), mask.getMessage());
    assertThrows(
        InvalidInputException.class,
        () ->
            s.sample(
                dit,
                Conditioning.prefixes(List.of(new int[] {TestModels.V}), L),
                SPECIALS,
                new Rng(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> s.sample(dit, Conditioning.none(2, L), SPECIALS, new Rng[] {new Rng(1)}, null));
  }

  /**
   * Conditional NELBO: with nothing given it is nelboPerRow exactly (same streams, same numbers);
   * the given positions are clean, first (left to right) in every network input and never scored.
   */
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.5, 0.0})
  void conditionalNelboKeepsGivenCleanAndUnscored(double alpha0) {
    EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 26);
    int batch = 3;
    int[] x0 = TestModels.tokens(batch, L, 3);
    double[] t = {0.2, 0.55, 0.9};
    NllSum plain =
        family.nelboPerRow(dit, x0, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    NllSum none =
        family.conditionalNelbo(
            dit,
            x0,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(plain, none, "nothing given = nelboPerRow, bit for bit");

    boolean[] given = new boolean[batch * L];
    int[] prompt = {4, 0, 7};
    for (int b = 0; b < batch; b++) {
      Arrays.fill(given, b * L, b * L + prompt[b], true);
    }
    given[2 * L + L - 1] = true; // a suffix token too
    int free = batch * L - 4 - 7 - 1;
    InputSpy spy = new InputSpy(dit, x0, given);
    NllSum cond =
        family.conditionalNelbo(
            spy, x0, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(free, cond.tokens());
    assertTrue(cond.nll() > 0 && Double.isFinite(cond.nll()));
    assertTrue(spy.forwards > 0);

    // logits that depend on the position only: a given token's value cannot change the sum
    TestModels.PositionTable table = new TestModels.PositionTable(L, 9);
    int[] other = x0.clone();
    other[1] = (other[1] + 1) % MASK;
    other[2 * L + L - 1] = (other[2 * L + L - 1] + 3) % MASK;
    NllSum a =
        family.conditionalNelbo(
            table, x0, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    NllSum b =
        family.conditionalNelbo(
            table, other, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(a, b, "a given position was scored");
    NllSum freeA =
        family.conditionalNelbo(
            table,
            x0,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    NllSum freeB =
        family.conditionalNelbo(
            table,
            other,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    assertNotEquals(freeA.nll(), freeB.nll(), "the same positions are scored when free");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            family.conditionalNelbo(
                dit,
                x0,
                new boolean[3],
                batch,
                L,
                t,
                SPECIALS,
                Conditioning.rowStreams(new Rng(6), 3)));
  }

  /**
   * Checks every network input of the NELBO: row b's first G_b fed tokens are its given positions
   * in ascending order with their clean ids (z half and x half of the two-stream input alike).
   */
  private static final class InputSpy implements Denoiser {
    final Denoiser inner;
    final int[] x0;
    final boolean[] given;
    int forwards;

    InputSpy(Denoiser inner, int[] x0, boolean[] given) {
      this.inner = inner;
      this.x0 = x0;
      this.given = given;
    }

    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      throw new AssertionError("the NELBO feeds a layout");
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
      forwards++;
      int n = tokens.length();
      for (int b = 0; b < tokens.batch(); b++) {
        List<Integer> want = new ArrayList<>();
        for (int l = 0; l < L; l++) {
          if (given[b * L + l]) {
            want.add(l);
          }
        }
        for (int half = 0; half < n / L; half++) {
          for (int j = 0; j < want.size(); j++) {
            int at = half * L + j;
            assertEquals((int) want.get(j), layout.position(b, at), "given first, in order");
            assertEquals(x0[b * L + want.get(j)], tokens.get(b, at), "given token clean");
          }
        }
      }
      return inner.forward(tokens, sigma, layout);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }
  }

  /** Counts window calls (W, commit) and decoders; refuses full forwards. */
  private static final class Spy implements Denoiser {
    final ReferenceDit dit;
    final List<int[]> calls = new ArrayList<>();
    final List<int[]> positionsOf = new ArrayList<>();
    int[] firstTokens;
    int[] firstPositions;
    int forwards;
    int decoders;
    int maxCached;

    Spy(ReferenceDit dit) {
      this.dit = dit;
    }

    @Override
    public int vocabSize() {
      return dit.vocabSize();
    }

    @Override
    public Logits forward(TokenBatch t, float[] s) {
      forwards++;
      return dit.forward(t, s);
    }

    @Override
    public Logits forward(TokenBatch t, float[] s, AttentionLayout layout) {
      forwards++;
      return dit.forward(t, s, layout);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }

    @Override
    public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
      decoders++;
      WindowKvCacheDecoder inner = dit.windowKvCacheDecoder(batch).orElseThrow();
      return Optional.of(
          new WindowKvCacheDecoder() {
            @Override
            public Logits step(int[] tokens, int[] positions, int window, int commit) {
              if (firstTokens == null) {
                firstTokens = tokens.clone();
                firstPositions = positions.clone();
              }
              calls.add(new int[] {window, commit});
              // positions of the clean tokens fed (padding and masks are MASK)
              List<Integer> real = new ArrayList<>();
              for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] != MASK) {
                  real.add(positions[i]);
                }
              }
              positionsOf.add(real.stream().mapToInt(Integer::intValue).toArray());
              Logits out = inner.step(tokens, positions, window, commit);
              maxCached = Math.max(maxCached, inner.cached());
              return out;
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
  }
}
