package dev.dllm.family.ar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link ArFamily#conditionalNelbo}: the exact NLL of the continuation given a prefix. */
class ArConditionalNllTest {
  static final int V = 9;
  static final int MASK = 6; // not V - 1
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final int B = 4;
  static final int L = 10;

  /** A tiny random causal DiT (d = 16, 2 blocks, 2 heads), float64 reference forward. */
  static ReferenceDit causalDit(long seed) {
    DitConfig cfg = new DitConfig(V, 16, 2, 2, 8, Attention.CAUSAL, 0.0);
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      for (int i = 0; i < n; i++) {
        d[i] = (float) (r.nextDouble() - 0.5);
      }
      m.put(e.getKey(), new Tensor(d, e.getValue()));
    }
    return new ReferenceDit(new DitWeights(cfg, m));
  }

  static int[] tokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] x = new int[B * L];
    for (int i = 0; i < x.length; i++) {
      int v = r.nextInt(V - 1);
      x[i] = v >= MASK ? v + 1 : v;
    }
    return x;
  }

  /** Prompt lengths per row: 0 (nothing given), 1, 4, 9 (one token to score). */
  static final int[] PROMPTS = {0, 1, 4, 9};

  static boolean[] promptMask() {
    boolean[] given = new boolean[B * L];
    for (int b = 0; b < B; b++) {
      Arrays.fill(given, b * L, b * L + PROMPTS[b], true);
    }
    return given;
  }

  /**
   * The oracle, independent of ArFamily: float64 logits of the reference forward (no float32 cast),
   * a float64 log-softmax over the non-mask ids, −Σ over l ≥ max(1, P_b) of log p(x_l | x_&lt;l).
   */
  static double oracle(ReferenceDit dit, int[] x0, int[] prompts) {
    double[] logits = dit.forward64(new TokenBatch(x0, B, L), new double[B], null, null);
    double nll = 0;
    for (int b = 0; b < B; b++) {
      for (int l = Math.max(1, prompts[b]); l < L; l++) {
        int off = (b * L + l - 1) * V;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) {
          if (v != MASK) {
            max = Math.max(max, logits[off + v]);
          }
        }
        double z = 0;
        for (int v = 0; v < V; v++) {
          if (v != MASK) {
            z += Math.exp(logits[off + v] - max);
          }
        }
        nll -= logits[off + x0[b * L + l]] - max - Math.log(z);
      }
    }
    return nll;
  }

  @Test
  void equalsTheFloat64ReferenceNllOfTheContinuation() {
    ReferenceDit dit = causalDit(3);
    int[] x0 = tokens(4);
    NllSum got =
        new ArFamily()
            .conditionalNelbo(
                dit,
                x0,
                promptMask(),
                B,
                L,
                null,
                SPECIALS,
                Conditioning.rowStreams(new Rng(1), B));
    long scored = 0;
    for (int p : PROMPTS) {
      scored += L - Math.max(1, p);
    }
    assertEquals(scored, got.tokens());
    assertEquals(9 + 9 + 6 + 1, got.tokens());
    double want = oracle(dit, x0, PROMPTS);
    assertEquals(want, got.nll(), 1e-5 * Math.abs(want), "conditional NLL vs float64 oracle");
    assertTrue(got.nll() > 0);
  }

  @Test
  void nothingGivenIsNelboExactlyAndTheChainRuleHolds() {
    ReferenceDit dit = causalDit(5);
    int[] x0 = tokens(6);
    ArFamily ar = new ArFamily();
    Rng[] rows = Conditioning.rowStreams(new Rng(2), B);
    NllSum plain = ar.nelboPerRow(dit, x0, B, L, null, SPECIALS, rows);
    NllSum empty = ar.conditionalNelbo(dit, x0, new boolean[B * L], B, L, null, SPECIALS, rows);
    assertEquals(plain, empty); // same numbers, bit for bit
    assertEquals(B * (L - 1L), empty.tokens());
    assertEquals(oracle(dit, x0, new int[B]), empty.nll(), 1e-5 * empty.nll());
    // chain rule: NLL(continuation | prompt) + NLL(prompt tokens 1 .. P-1) = NLL(row)
    NllSum cond = ar.conditionalNelbo(dit, x0, promptMask(), B, L, null, SPECIALS, rows);
    double promptPart = 0;
    for (int b = 0; b < B; b++) {
      int[] row = Arrays.copyOfRange(x0, b * L, (b + 1) * L);
      if (PROMPTS[b] >= 2) {
        int[] prompt = Arrays.copyOf(row, PROMPTS[b]);
        promptPart += ar.nelbo(dit, prompt, 1, prompt.length, null, SPECIALS, null).nll();
      }
    }
    assertEquals(plain.nll(), cond.nll() + promptPart, 1e-5 * plain.nll());
  }

  @Test
  void bigramConditionalNllIsTheSumOfTheChainTerms() {
    float[][] table = ArSamplerTest.randomTable(2);
    int[] x0 = {0, 3, 4, 2, 2, 1};
    boolean[] given = {true, true, true, false, false, false};
    NllSum s =
        new ArFamily()
            .conditionalNelbo(
                new BigramDenoiser(table, false),
                x0,
                given,
                1,
                6,
                null,
                ArSamplerTest.SPECIALS,
                new Rng[] {new Rng(1)});
    double want = 0;
    for (int l = 3; l < 6; l++) {
      want -= Math.log(ArConditionalSamplerTest.chain(table, x0[l - 1])[x0[l]]);
    }
    assertEquals(3, s.tokens());
    assertEquals(want, s.nll(), 1e-9);
  }
}
