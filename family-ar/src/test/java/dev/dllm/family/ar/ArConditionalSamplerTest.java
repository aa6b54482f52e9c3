package dev.dllm.family.ar;

import static dev.dllm.family.ar.ArConditionalFixtures.MASK;
import static dev.dllm.family.ar.ArConditionalFixtures.SPECIALS;
import static dev.dllm.family.ar.ArConditionalFixtures.V;
import static dev.dllm.family.ar.ArConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.ArrayList;
import java.util.List;
import org.hipparchus.special.Gamma;
import org.junit.jupiter.api.Test;

/** Conditional (prompted) AR sampling, issue 16: prefix only, one prefill, exact chain. */
class ArConditionalSamplerTest {
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
}
