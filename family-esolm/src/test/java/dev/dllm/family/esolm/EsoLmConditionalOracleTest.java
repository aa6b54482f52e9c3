package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.MarkovOracle.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hipparchus.distribution.continuous.ChiSquaredDistribution;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conditional Eso-LM sampling and likelihood against an independent oracle: the exact posterior of
 * a known Markov chain ({@link MarkovOracle}, V = 3 states + mask, L = 4), computed by enumeration.
 *
 * <p>The sampler is exact ancestral sampling when every step decodes one token. The sequential
 * phase always does (alpha_0 = 0: k = 1, left to right over the free positions); the diffusion
 * phase draws k ~ Binomial, so T is taken large (T = 2000 for 3 free tokens: a step decodes two
 * tokens at once with probability about 3/T, a bias of ~0.1% of the samples, far below what 4000
 * samples can resolve).
 */
class EsoLmConditionalOracleTest {
  private static final int L = 4;
  private static final int N = 4000;

  /** Row 0: a prompt of one token; row 1: a gap, x_0 and x_3 given (fill-in-the-middle). */
  private static Conditioning prompt() {
    return Conditioning.prefixes(List.of(new int[] {1}), L);
  }

  private static Conditioning gap() {
    return Conditioning.of(new int[] {0, Conditioning.FREE, Conditioning.FREE, 2}, 1, L);
  }

  private static EsoLmSampler sampler(double alpha0, int steps, boolean cache) {
    return (EsoLmSampler)
        new EsoLmFamily(alpha0, 0.5)
            .newSampler(new SamplerSpec(steps, 1.0, Map.of("kv_cache", Boolean.toString(cache))));
  }

  /**
   * Batches of 2N rows alternating the prompt and the gap conditioning (two groups of different
   * given counts in one call); the empirical law of the free positions of each conditioning matches
   * the exact conditional (chi-square, p &gt; 1e-3), with and without the KV cache, for pure
   * diffusion, the interpolation and pure sequential decoding.
   */
  @ParameterizedTest
  @CsvSource({"1.0, true", "1.0, false", "0.5, true", "0.5, false", "0.0, true", "0.0, false"})
  void generatedPositionsFollowTheExactConditional(double alpha0, boolean cache) {
    MarkovOracle oracle = new MarkovOracle(L);
    List<Conditioning> rows = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      rows.add(prompt());
      rows.add(gap());
    }
    Conditioning given = Conditioning.stack(rows);
    SampleBatch s =
        sampler(alpha0, 2000, cache)
            .sample(oracle, given, SPECIALS, Conditioning.rowStreams(new Rng(2026), 2 * N), null);
    for (int which = 0; which < 2; which++) {
      Conditioning c = which == 0 ? prompt() : gap();
      double[] p = oracle.conditional(c, 0);
      long[] counts = new long[p.length];
      for (int r = which; r < 2 * N; r += 2) {
        int[] x = new int[L];
        for (int l = 0; l < L; l++) {
          x[l] = s.tokens().get(r, l);
          if (c.isGiven(0, l)) {
            assertEquals(c.id(0, l), x[l], "given id changed");
          }
        }
        counts[MarkovOracle.cell(x, c, 0)]++;
      }
      double pValue = chiSquarePValue(counts, p);
      assertTrue(
          pValue > 1e-3,
          (which == 0 ? "prompt" : "gap")
              + ", alpha_0 "
              + alpha0
              + ", kv_cache "
              + cache
              + ": chi-square p = "
              + pValue);
      if (which == 1) {
        // the test has teeth: the same samples are far from the law that ignores the suffix x_3
        double[] prefixOnly = ignoringSuffix(oracle);
        assertTrue(chiSquarePValue(counts, prefixOnly) < 1e-6, "chi-square cannot tell");
      }
    }
  }

  /**
   * The conditional NELBO against the exact −log p(x_F | x_G) of the chain: at alpha_0 = 0 it is
   * the exact left-to-right chain rule over the free positions (one deterministic value); at
   * alpha_0 = 1 and 0.5 its expectation over t (a midpoint grid of N times) and the masks equals it
   * up to Monte Carlo error and the O(ε) schedule bias (an exact model makes the bound tight).
   */
  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.5, 1.0})
  void conditionalNelboOfTheExactModelIsTheConditionalNll(double alpha0) {
    MarkovOracle oracle = new MarkovOracle(L);
    EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
    int[] x = {1, 1, 2, 0};
    for (boolean[] row :
        new boolean[][] {
          {true, false, false, false}, {true, false, false, true}, {false, false, false, false}
        }) {
      int n = alpha0 == 0 ? 8 : 40_000;
      int[] x0 = new int[n * L];
      boolean[] given = new boolean[n * L];
      double[] t = new double[n];
      for (int b = 0; b < n; b++) {
        System.arraycopy(x, 0, x0, b * L, L);
        System.arraycopy(row, 0, given, b * L, L);
        t[b] = (b + 0.5) / n;
      }
      Rng[] streams = Conditioning.rowStreams(new Rng(7), n);
      double[] perRow = new double[n];
      for (int b = 0; b < n; b++) {
        perRow[b] =
            family
                .conditionalNelbo(
                    oracle,
                    java.util.Arrays.copyOfRange(x0, b * L, (b + 1) * L),
                    java.util.Arrays.copyOfRange(given, b * L, (b + 1) * L),
                    1,
                    L,
                    new double[] {t[b]},
                    SPECIALS,
                    new Rng[] {streams[b]})
                .nll();
      }
      NllSum batched =
          family.conditionalNelbo(
              oracle, x0, given, n, L, t, SPECIALS, Conditioning.rowStreams(new Rng(7), n));
      int free = 0;
      for (boolean g : row) {
        free += g ? 0 : 1;
      }
      assertEquals((long) free * n, batched.tokens(), "scored = free positions");
      double mean = 0;
      for (double v : perRow) {
        mean += v;
      }
      assertEquals(mean, batched.nll(), 1e-9 * Math.abs(mean), "batched = row by row");
      mean /= n;
      double var = 0;
      for (double v : perRow) {
        var += (v - mean) * (v - mean);
      }
      double se = Math.sqrt(var / (n - 1) / n);
      double exact = exactConditionalNll(oracle, x, row);
      String what = "alpha_0 " + alpha0 + ", given " + java.util.Arrays.toString(row);
      if (alpha0 == 0) {
        assertEquals(exact, mean, 1e-6, what + " (float32 logits)");
      } else {
        assertTrue(se < 0.05, what + ": standard error " + se);
        assertEquals(exact, mean, 4 * se + 0.01, what + " (se " + se + ")");
      }
    }
  }

  /** −log p(x_F | x_G) of the chain. */
  private static double exactConditionalNll(MarkovOracle oracle, int[] x, boolean[] given) {
    int[] ids = new int[x.length];
    for (int l = 0; l < x.length; l++) {
      ids[l] = given[l] ? x[l] : Conditioning.FREE;
    }
    Conditioning c = Conditioning.of(ids, 1, x.length);
    return -Math.log(oracle.conditional(c, 0)[MarkovOracle.cell(x, c, 0)]);
  }

  /** p(x_1, x_2 | x_0 = 0) with x_3 left free, on the cells of the gap conditioning. */
  private static double[] ignoringSuffix(MarkovOracle oracle) {
    Conditioning c =
        Conditioning.of(
            new int[] {0, Conditioning.FREE, Conditioning.FREE, Conditioning.FREE}, 1, L);
    double[] three = oracle.conditional(c, 0);
    double[] two = new double[9];
    for (int cell = 0; cell < three.length; cell++) {
      two[cell / 3] += three[cell];
    }
    return two;
  }

  /** Pearson's chi-square goodness of fit, p = P(chi2_{k−1} &gt;= statistic). */
  static double chiSquarePValue(long[] counts, double[] p) {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    double stat = 0;
    for (int i = 0; i < counts.length; i++) {
      double e = n * p[i];
      stat += (counts[i] - e) * (counts[i] - e) / e;
    }
    return 1 - new ChiSquaredDistribution(counts.length - 1).cumulativeProbability(stat);
  }
}
