package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static dev.dllm.family.duo.DuoConditionalFixtures.mixed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** Duo's {@code predictor=block_ancestral} ({@link DuoBlockChain}) on hand-made logits. */
class DuoBlockChainTest {

  static SamplerSpec spec(int steps, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "block_ancestral");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new SamplerSpec(steps, 1.0, o);
  }

  static Sampler sampler(int steps, String... kv) {
    return new DuoFamily().newSampler(spec(steps, kv));
  }

  /** Logits a[l] at token 4 + l % 4, 0 elsewhere: confidence e^a / (e^a + V − 2) at l. */
  static double[] fixed(double... confidence) {
    double[] a = new double[confidence.length];
    for (int l = 0; l < a.length; l++) {
      a[l] = Math.log(confidence[l] * (V - 2) / (1 - confidence[l]));
    }
    return a;
  }

  @Test
  void confidentPositionsCommitAtOnceTheRestAtTheBlocksLastStepAndTheSuffixIsHidden() {
    VisibleKeysDecoder dec =
        new VisibleKeysDecoder(V, MASK, fixed(0.95, 0.5, 0.92, 0.3, 0.99, 0.99, 0.99, 0.99));
    SampleBatch s =
        sampler(8, "block_length", "4", "threshold", "0.9", "top1", "false")
            .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(1));
    // block 0: budget 4 steps (0 and 2 commit at step 1, 1 and 3 at the last); block 1: all
    // four >= 0.9 at its first step, so it ends after 1 of its 4 steps. + the opening refresh.
    assertEquals(1 + 4 + 1, s.nfe());
    assertEquals(5, dec.slices);
    assertArrayEquals(new int[] {4, 5, 6, 7, 4, 5, 6, 7}, s.tokens().ids());
    for (int k = 1; k <= 4; k++) { // the refresh's own row is entry 0; block 0's slices see [0, 4)
      int[] shown = dec.seen.get(k);
      for (int l = 0; l < 8; l++) {
        assertEquals(l < 4, shown[l] >= 0, "slice " + k + " position " + l);
      }
    }
  }

  @Test
  void top1CommitsTheMostConfidentOfEveryStep() {
    VisibleKeysDecoder dec =
        new VisibleKeysDecoder(V, MASK, fixed(0.95, 0.5, 0.92, 0.3, 0.6, 0.7, 0.8, 0.5));
    SampleBatch s =
        sampler(8, "block_length", "4", "threshold", "0.9", "top1", "true")
            .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(1));
    // block 0: step 1 commits 0, 2 (>= τ); step 2 the top-1 (1), step 3 the last (3): 3 steps;
    // block 1 (all < τ): one top-1 per step, the fourth at its last step: 4 steps
    assertEquals(1 + 3 + 4, s.nfe());
    assertArrayEquals(new int[] {4, 5, 6, 7, 4, 5, 6, 7}, s.tokens().ids());
  }

  @Test
  void top1CommitsAtLeastTheOpenOverTheStepsLeftMostConfidentFirst() {
    VisibleKeysDecoder dec =
        new VisibleKeysDecoder(V, MASK, fixed(0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2));
    SampleBatch s =
        sampler(2, "block_length", "8", "threshold", "0.9", "top1", "true")
            .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(6));
    assertEquals(1 + 2, s.nfe());
    int[] second = dec.seen.get(2); // the second step's input: the 4 most confident committed
    for (int l = 0; l < 4; l++) {
      assertEquals(4 + l, second[l], "position " + l);
    }
    assertArrayEquals(new int[] {4, 5, 6, 7, 4, 5, 6, 7}, s.tokens().ids());
  }

  @Test
  void shownPriorSuffixGivesExactlyTheSamplesOfTheConfidenceRule() {
    Conditioning given = mixed();
    for (String proposal : new String[] {"argmax", "sample"}) {
      for (long seed = 1; seed <= 3; seed++) {
        Map<String, String> conf = new HashMap<>();
        conf.put("predictor", "confidence");
        conf.put("threshold", "0.3");
        conf.put("block_length", "3");
        conf.put("proposal", proposal);
        SampleBatch a =
            new DuoFamily()
                .newSampler(new SamplerSpec(6, 1.0, conf))
                .sample(
                    new TestNets.Recording(V, MASK),
                    given,
                    SPECIALS,
                    Conditioning.rowStreams(new Rng(seed), 5),
                    null);
        SampleBatch b =
            sampler(
                    6,
                    "block_length",
                    "3",
                    "threshold",
                    "0.3",
                    "suffix",
                    "prior",
                    "proposal",
                    proposal)
                .sample(
                    new TestNets.Recording(V, MASK),
                    given,
                    SPECIALS,
                    Conditioning.rowStreams(new Rng(seed), 5),
                    null);
        assertArrayEquals(a.tokens().ids(), b.tokens().ids(), proposal + " seed " + seed);
        assertEquals(a.nfe(), b.nfe());
      }
    }
  }

  @Test
  void thresholdOneCommitsNothingBeforeTheBlocksLastStep() {
    double[] c = {0.999, 0.99, 0.9, 0.5, 0.999, 0.99, 0.9, 0.5};
    VisibleKeysDecoder dec = new VisibleKeysDecoder(V, MASK, fixed(c));
    SampleBatch s =
        sampler(8, "block_length", "4", "threshold", "1", "top1", "false")
            .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(3));
    assertEquals(1 + 8, s.nfe()); // every block runs its whole budget: NFE = T (+ the refresh)
    // with top1 and τ = 1 and T = L: exactly one commit per step, so again NFE = L (+ 1)
    VisibleKeysDecoder one = new VisibleKeysDecoder(V, MASK, fixed(c));
    SampleBatch t =
        sampler(8, "block_length", "4", "threshold", "1", "top1", "true")
            .sample(one.denoiser(), 1, 8, SPECIALS, new Rng(3));
    assertEquals(1 + 8, t.nfe());
    assertArrayEquals(new int[] {4, 5, 6, 7, 4, 5, 6, 7}, t.tokens().ids());
  }

  @Test
  void sigmaIsTheMeanNoiseOfWhatTheNetworkSeesOrTheSchedules() {
    LogLinearSchedule schedule = new LogLinearSchedule();
    double t1 = 1 - (1 - 1e-5) / 4; // block 0's second step on its grid of 4
    double alphaOne = schedule.alpha(1.0);
    double alphaT = schedule.alpha(t1);
    double[] c = {0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}; // position 0 commits at step 1
    String[][] cases = {{"hidden", "row"}, {"prior", "row"}, {"hidden", "schedule"}};
    double[] want = {
      -Math.log((1 + 3 * alphaT) / 4),
      -Math.log((1 + 3 * alphaT + 4 * alphaOne) / 8),
      schedule.sigma(t1)
    };
    for (int k = 0; k < cases.length; k++) {
      VisibleKeysDecoder dec = new VisibleKeysDecoder(V, MASK, fixed(c));
      sampler(8, "block_length", "4", "suffix", cases[k][0], "sigma", cases[k][1])
          .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(2));
      int second = cases[k][0].equals("hidden") ? 2 : 1; // hidden: entry 0 is the refresh
      assertEquals((float) want[k], dec.sigmas.get(second), 1e-5, String.join(",", cases[k]));
    }
  }

  @Test
  void prefixCacheOverExactKeysGivesTheSamplesOfNoCacheAndNeverShowsTheFreeSuffix() {
    Conditioning given = mixed();
    for (long seed = 1; seed <= 3; seed++) {
      VisibleKeysDecoder plain = new VisibleKeysDecoder(V, MASK, null);
      VisibleKeysDecoder cached = new VisibleKeysDecoder(V, MASK, null);
      Sampler none = sampler(6, "block_length", "3", "threshold", "0.3");
      Sampler prefix = sampler(6, "block_length", "3", "threshold", "0.3", "cache", "prefix");
      SampleBatch a =
          none.sample(
              plain.denoiser(), given, SPECIALS, Conditioning.rowStreams(new Rng(seed), 5), null);
      SampleBatch b =
          prefix.sample(
              cached.denoiser(), given, SPECIALS, Conditioning.rowStreams(new Rng(seed), 5), null);
      assertArrayEquals(a.tokens().ids(), b.tokens().ids(), "seed " + seed);
      assertEquals(1 + plain.slices, a.nfe());
      assertEquals(cached.refreshes + cached.slices, b.nfe());
      assertTrue(cached.refreshes > 1, "a refresh per block");
      DuoConditionalSamplerTest.assertClamped(given, a.tokens(), "block_ancestral sample");
    }
    // row 0 (nothing given), L 8, blocks of 3: no slice of the first block sees positions >= 3
    VisibleKeysDecoder dec = new VisibleKeysDecoder(V, MASK, null);
    sampler(6, "block_length", "3", "threshold", "1", "top1", "false")
        .sample(dec.denoiser(), given.row(0), SPECIALS, new Rng[] {new Rng(4)}, null);
    for (int k = 1; k <= 2; k++) {
      for (int l = 3; l < 8; l++) {
        assertEquals(-1, dec.seen.get(k)[l], "slice " + k + " sees free position " + l);
      }
    }
  }

  @Test
  void samplesDependOnlyOnTheSeedNotOnTheThreadsOrTheBatch() throws Exception {
    Conditioning given = mixed();
    for (String cache : new String[] {"none", "prefix"}) {
      Sampler s = sampler(6, "block_length", "3", "threshold", "0.3", "cache", cache);
      Rng[] a = Conditioning.rowStreams(new Rng(9), given.batch());
      Rng[] b = Conditioning.rowStreams(new Rng(9), given.batch());
      SampleBatch one =
          new ForkJoinPool(1)
              .submit(
                  () ->
                      s.sample(
                          new VisibleKeysDecoder(V, MASK, null).denoiser(),
                          given,
                          SPECIALS,
                          a,
                          null))
              .get();
      SampleBatch four =
          new ForkJoinPool(4)
              .submit(
                  () ->
                      s.sample(
                          new VisibleKeysDecoder(V, MASK, null).denoiser(),
                          given,
                          SPECIALS,
                          b,
                          null))
              .get();
      assertArrayEquals(one.tokens().ids(), four.tokens().ids(), cache);
      Rng[] rows = Conditioning.rowStreams(new Rng(9), given.batch());
      for (int r = 0; r < given.batch(); r++) {
        SampleBatch alone =
            s.sample(
                new VisibleKeysDecoder(V, MASK, null).denoiser(),
                given.row(r),
                SPECIALS,
                new Rng[] {rows[r]},
                null);
        for (int l = 0; l < given.length(); l++) {
          assertEquals(one.tokens().get(r, l), alone.tokens().get(0, l), cache + " row " + r);
        }
      }
    }
  }

  @Test
  void stopsAtTheFirstGeneratedEosOnceItsBlockIsCommitted() {
    SpecialTokens eosSix = new SpecialTokens(0, 6, -1, MASK); // position 2's argmax is 6
    VisibleKeysDecoder dec =
        new VisibleKeysDecoder(V, MASK, fixed(0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99));
    SampleBatch s =
        new DuoFamily()
            .newSampler(spec(8, "block_length", "4").withStopAtEos(true))
            .sample(dec.denoiser(), 1, 8, eosSix, new Rng(5));
    assertArrayEquals(new int[] {4, 5, 6, 6, 6, 6, 6, 6}, s.tokens().ids());
    assertEquals(1 + 1, s.nfe()); // block 0 commits at once, then the row is done
  }

  @Test
  void optionsAreCheckedAndNamed() {
    DuoFamily f = new DuoFamily();
    for (String k : new String[] {"greedy_tail", "noise_removal", "prompt_sigma"}) {
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> f.newSampler(spec(8, k, "true")));
      assertTrue(e.getMessage().contains(k), e.getMessage());
    }
    String[][] bad = {
      {"suffix", "masked"}, {"sigma", "mean"}, {"cache", "dual"}, {"top1", "1"}, {"proposal", "top"}
    };
    for (String[] kv : bad) {
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> f.newSampler(spec(8, kv)));
      assertTrue(e.getMessage().contains(kv[0]), e.getMessage());
    }
    for (String k : new String[] {"top1", "suffix", "sigma"}) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> f.newSampler(new SamplerSpec(8, 1, Map.of(k, "true"))));
      assertTrue(e.getMessage().contains("block_ancestral"), e.getMessage());
    }
  }
}
