package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.EsoLmConditionalFixtures.L;
import static dev.dllm.family.esolm.EsoLmConditionalFixtures.assertHonours;
import static dev.dllm.family.esolm.EsoLmConditionalFixtures.mixed;
import static dev.dllm.family.esolm.EsoLmConditionalFixtures.sampler;
import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conditional Eso-LM sampling on a random float64 DiT (spec §4.4): given ids verbatim, batch and
 * thread invariance, refusals.
 */
class EsoLmConditionalTest {
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
}
