package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.V;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Rotary phases follow the original positions (spec §4.2, §10.11). */
class RotaryPhaseTest {

  private static Logits bidirectional(ReferenceDit dit, int[] tokens, int[] positions) {
    int len = tokens.length;
    boolean[] all = new boolean[len * len];
    Arrays.fill(all, true);
    return dit.forward(
        new TokenBatch(tokens, 1, len), null, new AttentionLayout(1, len, positions, all));
  }

  /**
   * Permuting the input order and the rotary tables together leaves the per-token outputs of a
   * bidirectional model unchanged; permuting only the tokens does not.
   */
  @Test
  void permutingTokensAndPhasesTogetherIsInvisible() {
    int len = 10;
    int[] x = TestModels.tokens(1, len, 71);
    x[2] = MASK;
    x[7] = MASK;
    ReferenceDit dit = TestModels.dit(Attention.BIDIRECTIONAL, 8);
    int[] identity = new int[len];
    for (int i = 0; i < len; i++) {
      identity[i] = i;
    }
    Logits plain = bidirectional(dit, x, identity);
    int[] order = Orders.diffusion(x, 0, len, MASK, new Rng(4));
    int[] sorted = new int[len];
    for (int j = 0; j < len; j++) {
      sorted[j] = x[order[j]];
    }
    Logits permuted = bidirectional(dit, sorted, order);
    Logits phasesNotPermuted = bidirectional(dit, sorted, identity);
    double worst = 0;
    for (int j = 0; j < len; j++) {
      for (int v = 0; v < V; v++) {
        assertEquals(plain.get(0, order[j], v), permuted.get(0, j, v), 1e-5);
        worst =
            Math.max(worst, Math.abs(plain.get(0, order[j], v) - phasesNotPermuted.get(0, j, v)));
      }
    }
    assertTrue(worst > 1e-3, "rotary must matter: " + worst);
  }

  /**
   * The diffusion branch (sorted input, positions = order, causal) equals the same network fed in
   * the original order with identity positions and the mask "rank(key) ≤ rank(query)": the gather
   * of inputs, targets and rotary tables is consistent.
   */
  @Test
  void sortedCausalEqualsRankMaskInTheOriginalOrder() {
    int len = 9;
    int[] x0 = TestModels.tokens(1, len, 81);
    int[] zt = x0.clone();
    for (int l : new int[] {0, 3, 4, 8}) {
      zt[l] = MASK;
    }
    int[][] orders = {Orders.diffusion(zt, 0, len, MASK, new Rng(5))};
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 9);
    EsoLmLosses.TokenLosses got = EsoLmLosses.diffusion(dit, x0, zt, orders, 1, len, MASK);
    int[] rank = Orders.inverse(orders[0]);
    boolean[] allowed = new boolean[len * len];
    int[] identity = new int[len];
    for (int q = 0; q < len; q++) {
      identity[q] = q;
      for (int k = 0; k < len; k++) {
        allowed[q * len + k] = rank[k] <= rank[q];
      }
    }
    Logits direct =
        dit.forward(
            new TokenBatch(zt, 1, len), null, new AttentionLayout(1, len, identity, allowed));
    for (int l = 0; l < len; l++) {
      float[] row = new float[V];
      System.arraycopy(direct.values(), direct.offset(0, l), row, 0, V);
      assertEquals(TestModels.nll(row, x0[l]), got.loss()[l], 1e-5);
    }
  }
}
