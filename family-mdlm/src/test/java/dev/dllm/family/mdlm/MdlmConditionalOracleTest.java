package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Conditional MDLM against an independent oracle ({@link MarkovOracle}): a denoiser that returns
 * the exact posterior marginals of a known Markov chain. With {@code fixed_count} and T = the
 * number of free positions, one position is unmasked per step from its exact conditional given
 * everything visible, so the sampler draws exactly from p(x_free | x_given); the empirical
 * distribution of {@value #N} samples is compared with the enumerated conditional by a chi-square
 * test (fixed seed, p-value &gt; 1e-3).
 */
class MdlmConditionalOracleTest {
  static final int N = 4000;
  static final double MIN_P = 1e-3;

  static Conditioning repeat(Conditioning row, int n) {
    return Conditioning.stack(Collections.nCopies(n, row));
  }

  static SampleBatch sample(
      String predictor, int steps, Map<String, String> more, Conditioning given, int window) {
    Map<String, String> options = new java.util.HashMap<>(more);
    options.put("predictor", predictor);
    return new MdlmFamily()
        .newSampler(new SamplerSpec(steps, 1, options))
        .sample(
            MarkovOracle.denoiser(window),
            given,
            MarkovOracle.SPECIALS,
            Conditioning.rowStreams(new Rng(2024), given.batch()),
            null);
  }

  static void assertGivenVerbatim(Conditioning given, SampleBatch s) {
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < given.length(); l++) {
        if (given.isGiven(b, l)) {
          assertEquals(given.id(b, l), s.tokens().get(b, l), "given id at " + b + ", " + l);
        }
      }
    }
  }

  /** Prompt x_0 = 3; positions 1..3 free: 27 outcomes, exact p(x_1..3 | x_0) = P·P·P. */
  @Test
  void promptContinuationMatchesTheExactConditional() {
    Conditioning row = Conditioning.prefixes(java.util.List.of(new int[] {3}), 4);
    Conditioning given = repeat(row, N);
    SampleBatch s = sample("fixed_count", 3, Map.of(), given, 4);
    assertGivenVerbatim(given, s);
    assertEquals(3, s.nfe(), "one unmasking per step, T = 3 free positions");
    double[] exact = MarkovOracle.conditional(row);
    long[] counts = MarkovOracle.counts(s.tokens(), given);
    double p = MarkovOracle.chiSquarePValue(counts, exact);
    assertTrue(p > MIN_P, "chi-square p = " + p + " for " + Arrays.toString(counts));
    // power: the same samples are far from the unconditional law of positions 1..3
    double[] unconditional = MarkovOracle.conditional(Conditioning.none(1, 4));
    double[] marginal = new double[27];
    for (int o = 0; o < unconditional.length; o++) {
      marginal[o % 27] += unconditional[o];
    }
    assertTrue(
        MarkovOracle.chiSquarePValue(counts, marginal) < 1e-9,
        "the test cannot tell the prompt from no prompt");
  }

  /** Prefix x_0 = 1, gap of 2, suffix x_3 = 0: 9 outcomes, p ∝ P(x1|1) P(x2|x1) P(0|x2). */
  @Test
  void gapFillMatchesTheExactConditional() {
    Conditioning row = Conditioning.infill(new int[] {1}, 2, new int[] {0}, new int[0]);
    Conditioning given = repeat(row, N);
    SampleBatch s = sample("fixed_count", 2, Map.of(), given, 4);
    assertGivenVerbatim(given, s);
    assertEquals(2, s.nfe());
    double[] exact = MarkovOracle.conditional(row);
    for (int o = 0; o < 9; o++) { // the enumeration agrees with the chain's closed form
      int a = o / 3;
      int c = o % 3;
      double want = MarkovOracle.P[1][a] * MarkovOracle.P[a][c] * MarkovOracle.P[c][0];
      double z = 0;
      for (int i = 0; i < 9; i++) {
        z += MarkovOracle.P[1][i / 3] * MarkovOracle.P[i / 3][i % 3] * MarkovOracle.P[i % 3][0];
      }
      assertEquals(want / z, exact[o], 1e-12);
    }
    long[] counts = MarkovOracle.counts(s.tokens(), given);
    double p = MarkovOracle.chiSquarePValue(counts, exact);
    assertTrue(p > MIN_P, "chi-square p = " + p + " for " + Arrays.toString(counts));
    // power: ignoring the suffix (prefix-only conditional of x1, x2) is rejected
    double[] prefixOnly = new double[9];
    for (int o = 0; o < 9; o++) {
      prefixOnly[o] = MarkovOracle.P[1][o / 3] * MarkovOracle.P[o / 3][o % 3];
    }
    assertTrue(
        MarkovOracle.chiSquarePValue(counts, prefixOnly) < 1e-6,
        "the test cannot tell the suffix from no suffix");
  }

  /**
   * The default predictor ({@code ancestral_cache}) with T = 1000: two free positions unmask in the
   * same step with probability about 3/1000, so it matches the exact conditional too.
   */
  @Test
  void ancestralCacheWithManyStepsMatchesTheExactConditional() {
    Conditioning row = Conditioning.prefixes(java.util.List.of(new int[] {0}), 4);
    Conditioning given = repeat(row, N);
    SampleBatch s = sample("ancestral_cache", 1000, Map.of(), given, 4);
    assertGivenVerbatim(given, s);
    long[] counts = MarkovOracle.counts(s.tokens(), given);
    double p = MarkovOracle.chiSquarePValue(counts, MarkovOracle.conditional(row));
    assertTrue(p > MIN_P, "chi-square p = " + p + " for " + Arrays.toString(counts));
  }

  /**
   * Semi-AR with a prompt longer than the block: block L = 4, strides 2 of S = 2 (rows of 8), a
   * prompt of 5 tokens. The first block is fully given (no forward); stride 1 sees x_2..4 and draws
   * x_5; stride 2 sees x_4, x_5 and draws x_6, x_7. For a stationary Markov chain the exact window
   * conditionals are the full chain's (Markov property), so the output is an exact draw of p(x_5..7
   * | x_0..4) under the length-8 chain.
   */
  @Test
  void semiAutoregressiveContinuesAPromptLongerThanTheBlock() {
    int[] prompt = {0, 3, 3, 1, 0};
    Conditioning row = Conditioning.prefixes(java.util.List.of(prompt), 8);
    Conditioning given = repeat(row, N);
    MarkovOracle.Exact oracle = MarkovOracle.denoiser(4);
    SampleBatch s =
        new MdlmFamily()
            .newSampler(
                new SamplerSpec(
                    2, 1, Map.of("predictor", "fixed_count", "strides", "2", "stride_length", "2")))
            .sample(
                oracle, given, MarkovOracle.SPECIALS, Conditioning.rowStreams(new Rng(7), N), null);
    assertEquals(8, s.tokens().length());
    assertGivenVerbatim(given, s);
    // block 0: nothing free, no forward; stride 1: 1 free (1 forward); stride 2: 2 free (2)
    assertEquals(3, s.nfe());
    assertEquals(3, oracle.forwards);
    long[] counts = MarkovOracle.counts(s.tokens(), given);
    double[] exact = MarkovOracle.conditional(row);
    double[] closed = new double[27];
    for (int o = 0; o < 27; o++) {
      int[] d = MarkovOracle.decode(o, 3);
      closed[o] = MarkovOracle.P[MarkovOracle.index(0)][d[0]] * MarkovOracle.P[d[0]][d[1]];
      closed[o] *= MarkovOracle.P[d[1]][d[2]];
    }
    assertArrayEquals(closed, exact, 1e-12);
    double p = MarkovOracle.chiSquarePValue(counts, exact);
    assertTrue(p > MIN_P, "chi-square p = " + p + " for " + Arrays.toString(counts));
  }

  /**
   * The conditional NELBO with the exact denoiser equals −log p(x_free | x_given) (any-order AR
   * identity of the continuous-time bound; bias of order eps = 1e-3), estimated from 40 chunks of
   * 1000 rows with stratified t; and with nothing given it is −log p(x).
   */
  @Test
  void conditionalNelboOfTheExactDenoiserIsTheExactConditionalNll() {
    MdlmFamily family = new MdlmFamily();
    int[] x = {3, 0, 1, 3};
    boolean[][] cases = {
      {true, false, false, false}, {true, false, false, true}, {false, false, false, false}
    };
    for (boolean[] mask : cases) {
      int[] ids = new int[4];
      for (int l = 0; l < 4; l++) {
        ids[l] = mask[l] ? x[l] : Conditioning.FREE;
      }
      Conditioning row = Conditioning.of(ids, 1, 4);
      int[] free = MarkovOracle.freePositions(row);
      double[] p = MarkovOracle.conditional(row);
      int o = 0;
      for (int l : free) {
        o = o * 3 + MarkovOracle.index(x[l]);
      }
      double exact = -Math.log(p[o]);
      if (free.length == 4) {
        assertEquals(-Math.log(MarkovOracle.probOfIds(x)), exact, 1e-12);
      }
      int chunks = 40;
      int rows = 1000;
      double[] means = new double[chunks];
      Rng seeds = new Rng(99);
      MarkovOracle.Exact oracle = MarkovOracle.denoiser(4);
      for (int c = 0; c < chunks; c++) {
        int[] x0 = new int[rows * 4];
        boolean[] given = new boolean[rows * 4];
        double[] t = new double[rows];
        for (int b = 0; b < rows; b++) {
          System.arraycopy(x, 0, x0, b * 4, 4);
          System.arraycopy(mask, 0, given, b * 4, 4);
          t[b] = 1e-3 + (1 - 1e-3) * (b + seeds.uniform()) / rows;
        }
        NllSum s =
            family.conditionalNelbo(
                oracle,
                x0,
                given,
                rows,
                4,
                t,
                MarkovOracle.SPECIALS,
                Conditioning.rowStreams(seeds, rows));
        assertEquals((long) rows * free.length, s.tokens());
        means[c] = s.nll() / rows;
      }
      double mean = Arrays.stream(means).average().orElseThrow();
      double var = Arrays.stream(means).map(m -> (m - mean) * (m - mean)).sum() / (chunks - 1);
      double se = Math.sqrt(var / chunks);
      assertTrue(
          Math.abs(mean - exact) < 4 * se + 0.02,
          "conditional NELBO "
              + mean
              + " ± "
              + se
              + " vs exact −log p(x_free | x_given) = "
              + exact
              + " for given "
              + Arrays.toString(mask));
    }
  }
}
