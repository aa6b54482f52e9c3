package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static dev.dllm.family.esolm.TestModels.V;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.family.mdlm.MdlmFamily;
import org.junit.jupiter.api.Test;

/** The limits of the bound (spec §4.1) and the two-stream sequential branch (spec §4.3). */
class EsoLmReductionTest {

  /** alpha_0 = 1: the same z_t draws and the same number as MDLM for an order-blind model. */
  @Test
  void alphaZeroOneIsMdlm() {
    int batch = 4;
    int len = 12;
    int[] x0 = TestModels.tokens(batch, len, 31);
    double[] t = {0.05, 0.3, 0.61, 1.0};
    TestModels.Unigram unigram = new TestModels.Unigram(6);
    for (long seed = 0; seed < 3; seed++) {
      NllSum eso = new EsoLmFamily().nelbo(unigram, x0, batch, len, t, SPECIALS, new Rng(seed));
      NllSum mdlm = new MdlmFamily().nelbo(unigram, x0, batch, len, t, SPECIALS, new Rng(seed));
      assertTrue(mdlm.nll() > 0);
      assertEquals(mdlm.nll(), eso.nll(), 1e-9 * mdlm.nll());
      assertEquals(mdlm.tokens(), eso.tokens());
    }
    // And the corruption itself is MDLM's.
    int[] a = new EsoLmFamily().corrupt(x0, batch, len, t, SPECIALS, new Rng(7));
    int[] b = new MdlmFamily().corrupt(x0, batch, len, t, SPECIALS, new Rng(7));
    org.junit.jupiter.api.Assertions.assertArrayEquals(b, a);
  }

  /**
   * alpha_0 = 0: the bound is the exact AR NLL, Σ_l −log p(x^l | x^{<l}) where the network predicts
   * token l at a mask placed at position l after the clean prefix, computed here independently with
   * L causal forwards of [x^{<l}, m] (no two-stream input, no layout).
   */
  @Test
  void alphaZeroZeroIsTheArNll() {
    int batch = 2;
    int len = 7;
    int[] x0 = TestModels.tokens(batch, len, 41);
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 5);
    NllSum eso =
        new EsoLmFamily(0.0, 0.5)
            .nelbo(dit, x0, batch, len, new double[] {0.3, 0.8}, SPECIALS, new Rng(1));
    double want = 0;
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < len; l++) {
        int[] prefix = new int[l + 1];
        System.arraycopy(x0, b * len, prefix, 0, l);
        prefix[l] = MASK;
        Logits logits = dit.forward(new TokenBatch(prefix, 1, l + 1), null);
        float[] row = new float[V];
        System.arraycopy(logits.values(), logits.offset(0, l), row, 0, V);
        want += TestModels.nll(row, x0[b * len + l]);
      }
    }
    assertEquals((long) batch * len, eso.tokens());
    assertEquals(want, eso.nll(), 1e-6 * want);
  }

  /**
   * The two-stream input gives, at every masked z position j (sorted), the logits of a causal
   * forward of [x sorted before j ; mask at j] with the sorted rotary positions (XLNet trick).
   */
  @Test
  void sequentialBranchIsTeacherForcedSortedCausal() {
    int len = 9;
    int m = MASK;
    int[] x0 = TestModels.tokens(1, len, 51);
    int[] z0 = x0.clone();
    int[] masked = {1, 4, 5, 8};
    for (int l : masked) {
      z0[l] = m;
    }
    int[][] orders = {Orders.sequential(z0, 0, len, m, new Rng(2))};
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 6);
    EsoLmLosses.TokenLosses got = EsoLmLosses.sequential(dit, x0, z0, orders, 1, len, m);
    int[] rank = Orders.inverse(orders[0]);
    double sum = 0;
    for (int l : masked) {
      int j = rank[l];
      int[] prefix = new int[j + 1];
      int[] pos = new int[j + 1];
      for (int i = 0; i < j; i++) {
        prefix[i] = x0[orders[0][i]];
        pos[i] = orders[0][i];
      }
      prefix[j] = m;
      pos[j] = l;
      Logits logits =
          dit.forward(
              new TokenBatch(prefix, 1, j + 1), null, AttentionLayout.sortedCausal(pos, 1, j + 1));
      float[] row = new float[V];
      System.arraycopy(logits.values(), logits.offset(0, j), row, 0, V);
      double want = TestModels.nll(row, x0[l]);
      assertEquals(want, got.loss()[l], 1e-5);
      assertEquals(1.0, got.valid()[l]);
      sum += want;
    }
    assertEquals(masked.length, got.rowCount(0));
    assertEquals(sum, got.rowSum(0), 1e-5);
  }

  /** The MDM weight of the alpha_0 schedule; 1/t at alpha_0 = 1, 0 at alpha_0 = 0. */
  @Test
  void scheduleWeights() {
    EsoLmSchedule half = new EsoLmSchedule(0.5);
    double t = 0.4;
    double alpha = 0.5 * (1 - 0.999 * t);
    assertEquals(alpha, half.alpha(t), 1e-15);
    assertEquals(0.5 * 0.999 / (1 - alpha), half.elboWeight(t), 1e-12);
    assertEquals(1 / t, new EsoLmSchedule(1).elboWeight(t), 1e-12);
    assertEquals(0, new EsoLmSchedule(0).elboWeight(t));
    assertEquals(0, new EsoLmSchedule(0).alpha(t));
    assertThrows(IllegalArgumentException.class, () -> new EsoLmSchedule(1.5));
    assertThrows(InvalidInputException.class, () -> new EsoLmFamily(0.5, -0.1));
    // configure round-trips the export metadata
    EsoLmFamily back = new EsoLmFamily().configure(new EsoLmFamily(0.25, 0.75).exportMetadata());
    assertEquals(0.25, back.alpha0());
    assertEquals(0.75, back.batchSplit());
    assertEquals(1.0, new EsoLmFamily().configure(java.util.Map.of("other", "x")).alpha0());
    assertThrows(
        InvalidInputException.class,
        () -> new EsoLmFamily().configure(java.util.Map.of("alpha_0", "two")));
  }

  /**
   * The batch-split estimator: with alpha_0 = 1 every row is a diffusion row and the sum equals the
   * NELBO for the same Rng; low_var drops the weights; 0 &lt; alpha_0 &lt; 1 splits the rows.
   */
  @Test
  void splitLossMatchesTheBound() {
    int batch = 4;
    int len = 8;
    int[] x0 = TestModels.tokens(batch, len, 61);
    double[] t = {0.1, 0.4, 0.7, 0.95};
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 7);
    EsoLmFamily mdlmLike = new EsoLmFamily(1.0, 0.5);
    var split = mdlmLike.splitLoss(dit, x0, batch, len, t, SPECIALS, new Rng(3), false);
    NllSum nelbo = mdlmLike.nelbo(dit, x0, batch, len, t, SPECIALS, new Rng(3));
    assertEquals(nelbo.nll(), split.diffusionSum(), 1e-9 * nelbo.nll());
    assertEquals(nelbo.perToken(), split.value(), 1e-9);
    assertEquals(0, split.arTokens());
    var lowVar = mdlmLike.splitLoss(dit, x0, batch, len, t, SPECIALS, new Rng(3), true);
    assertTrue(lowVar.diffusionSum() < split.diffusionSum()); // weights 1/t > 1 dropped

    EsoLmFamily half = new EsoLmFamily(0.5, 0.5);
    var mixed = half.splitLoss(dit, x0, batch, len, t, SPECIALS, new Rng(4), false);
    assertEquals(2L * len, mixed.diffusionTokens());
    assertEquals(2L * len, mixed.arTokens());
    assertEquals(
        mixed.arSum() / mixed.arTokens() + mixed.diffusionSum() / mixed.diffusionTokens(),
        mixed.value(),
        1e-12);
  }

  /**
   * The importance-weighted estimate: for an order-blind model every order gives the same ℓ, so it
   * is exactly −Σ log p_unigram(x); at alpha_0 = 0 every order is left to right, so it is the AR
   * NLL (= the bound at alpha_0 = 0).
   */
  @Test
  void importanceWeightedBound() {
    int batch = 2;
    int len = 6;
    int[] x0 = TestModels.tokens(batch, len, 91);
    TestModels.Unigram unigram = new TestModels.Unigram(12);
    NllSum iw =
        ImportanceWeightedBound.estimate(
            new EsoLmFamily(0.5, 0.5), unigram, x0, batch, len, 4, SPECIALS, new Rng(1));
    double want = 0;
    for (int id : x0) {
      want += TestModels.nll(unigram.table, id);
    }
    assertEquals(want, iw.nll(), 1e-9 * want);
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 13);
    EsoLmFamily ar = new EsoLmFamily(0.0, 0.5);
    NllSum iwAr =
        ImportanceWeightedBound.estimate(ar, dit, x0, batch, len, 3, SPECIALS, new Rng(2));
    NllSum bound = ar.nelbo(dit, x0, batch, len, new double[] {0.5, 0.5}, SPECIALS, new Rng(3));
    assertEquals(bound.nll(), iwAr.nll(), 1e-9 * bound.nll());
    // with alpha_0 = 1 and several random orders the estimate differs from any single order
    NllSum one =
        ImportanceWeightedBound.estimate(
            new EsoLmFamily(), dit, x0, batch, len, 1, SPECIALS, new Rng(4));
    NllSum many =
        ImportanceWeightedBound.estimate(
            new EsoLmFamily(), dit, x0, batch, len, 8, SPECIALS, new Rng(4));
    assertTrue(Math.abs(one.nll() - many.nll()) > 1e-6);
  }
}
