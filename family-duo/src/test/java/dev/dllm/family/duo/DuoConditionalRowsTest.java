package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.L;
import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.REMOVALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static dev.dllm.family.duo.DuoConditionalFixtures.mixed;
import static dev.dllm.family.duo.DuoConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * Duo's conditional sampler (issue 16): no conditioning is the unconditional sampler, rows are
 * independent of batching and threads, bad inputs are refused.
 */
class DuoConditionalRowsTest {
  /** Nothing given with rowStreams(rng, B) is the unconditional sampler, step reports included. */
  @Test
  void emptyConditioningIsTheUnconditionalSampler() {
    for (double topP : new double[] {1.0, 0.9}) {
      for (String removal : REMOVALS) {
        Sampler sampler = sampler(6, topP, Map.of("noise_removal", removal));
        List<Integer> plainSteps = new ArrayList<>();
        List<Integer> noneSteps = new ArrayList<>();
        SampleBatch plain =
            sampler.sample(
                new TestNets.Recording(V, MASK),
                4,
                L,
                SPECIALS,
                new Rng(31),
                (step, n, u, all) -> plainSteps.add(step));
        SampleBatch none =
            sampler.sample(
                new TestNets.Recording(V, MASK),
                Conditioning.none(4, L),
                SPECIALS,
                Conditioning.rowStreams(new Rng(31), 4),
                (step, n, u, all) -> noneSteps.add(step));
        assertArrayEquals(plain.tokens().ids(), none.tokens().ids(), removal + " " + topP);
        assertEquals(plain.nfe(), none.nfe());
        assertEquals(plainSteps, noneSteps);
        assertEquals(plain.nfe(), plainSteps.size());
        SampleBatch viaRng =
            sampler.sample(
                new TestNets.Recording(V, MASK), Conditioning.none(4, L), SPECIALS, new Rng(31));
        assertArrayEquals(plain.tokens().ids(), viaRng.tokens().ids());
      }
    }
  }

  /** Rows with different prompts batched together equal the same rows sampled one by one. */
  @Test
  void batchedRowsEqualRowsSampledOneByOne() {
    Conditioning given = mixed();
    for (double topP : new double[] {1.0, 0.85}) {
      Sampler sampler = sampler(4, topP, Map.of());
      SampleBatch batched =
          sampler.sample(
              new TestNets.Recording(V, MASK),
              given,
              SPECIALS,
              Conditioning.rowStreams(new Rng(77), given.batch()),
              null);
      Rng[] rows = Conditioning.rowStreams(new Rng(77), given.batch());
      for (int b = 0; b < given.batch(); b++) {
        SampleBatch alone =
            sampler.sample(
                new TestNets.Recording(V, MASK), given.row(b), SPECIALS, new Rng[] {rows[b]}, null);
        assertArrayEquals(
            Arrays.copyOfRange(batched.tokens().ids(), b * L, (b + 1) * L),
            alone.tokens().ids(),
            "row " + b + ", top-p " + topP);
      }
    }
  }

  @Test
  void samplesDoNotDependOnTheThreadCount() throws Exception {
    Conditioning given = mixed();
    for (double topP : new double[] {1.0, 0.9}) {
      int[][] out = new int[2][];
      int[] threads = {1, 2};
      for (int i = 0; i < threads.length; i++) {
        ForkJoinPool pool = new ForkJoinPool(threads[i]);
        try {
          out[i] =
              pool.submit(
                      () ->
                          sampler(6, topP, Map.of())
                              .sample(
                                  new TestNets.Recording(V, MASK),
                                  given,
                                  SPECIALS,
                                  Conditioning.rowStreams(new Rng(21), given.batch()),
                                  null)
                              .tokens()
                              .ids())
                  .get();
        } finally {
          pool.shutdown();
        }
      }
      assertArrayEquals(out[0], out[1], "top-p " + topP);
    }
  }

  @Test
  void refusesTheMaskIdOutOfVocabularyIdsAndWrongStreams() {
    Sampler sampler = sampler(3, 1, Map.of());
    TestNets.Recording net = new TestNets.Recording(V, MASK);
    Conditioning masked = Conditioning.prefixes(List.of(new int[] {2, MASK}), L);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> sampler.sample(net, masked, SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(
        e.getMessage().contains("MASK") && e.getMessage().contains("position 1"), e::toString);
    Conditioning outside = Conditioning.prefixes(List.of(new int[] {V}), L);
    e =
        assertThrows(
            InvalidInputException.class,
            () -> sampler.sample(net, outside, SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(e.getMessage().contains("outside the vocabulary"), e::toString);
    assertThrows(
        IllegalArgumentException.class,
        () -> sampler.sample(net, mixed(), SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(net.inputs.isEmpty(), "nothing ran");
    // a tokenizer without a mask id (GPT-2 style, [DUO]): any id in [0, V) may be given
    SpecialTokens noMask = new SpecialTokens(0, 1, -1, -1);
    SampleBatch s =
        sampler.sample(new TestNets.Recording(V, -1), masked, noMask, new Rng[] {new Rng(1)}, null);
    assertEquals(MASK, s.tokens().get(0, 1));
  }

  /** A row given in full is returned as is (the chain runs; nothing is drawn). */
  @Test
  void aFullyGivenRowIsReturnedAsIs() {
    int[] ids = {4, 5, 6, 7, 8, 0, 1, 2};
    Conditioning all = Conditioning.of(ids, 1, L);
    SampleBatch s =
        sampler(3, 1, Map.of())
            .sample(new TestNets.Recording(V, MASK), all, SPECIALS, new Rng[] {new Rng(2)}, null);
    assertArrayEquals(ids, s.tokens().ids());
    assertEquals(4, s.nfe());
  }
}
