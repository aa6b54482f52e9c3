package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.sample.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Orders, and per-token losses / validity masks permuted and un-permuted consistently (§4.2). */
class PermutationBookkeepingTest {

  /** The worked example. */
  @Test
  void maskedSumFollowsTheSameOrder() {
    double[] loss = {0.1, 0.2, 0.3, 5, 7};
    double[] valid = {1, 1, 1, 0, 0};
    int[] order = {3, 0, 4, 1, 2};
    double[] sortedLoss = Orders.gather(loss, order);
    double[] sortedValid = Orders.gather(valid, order);
    assertArrayEquals(new double[] {5, 0.1, 7, 0.2, 0.3}, sortedLoss);
    assertEquals(0.6, Orders.maskedSum(sortedLoss, sortedValid), 1e-12);
    // Un-permuting the sorted losses restores the original frame.
    assertArrayEquals(loss, Orders.scatter(sortedLoss, order));
    assertEquals(0.6, Orders.maskedSum(Orders.scatter(sortedLoss, order), valid), 1e-12);
    // The inconsistent bookkeeping (sorted losses against the unpermuted mask) scores 12.1.
    assertEquals(12.1, Orders.maskedSum(sortedLoss, valid), 1e-12);
  }

  @Test
  void inverseIsTheRankAndRejectsNonPermutations() {
    int[] order = {3, 0, 4, 1, 2};
    assertArrayEquals(new int[] {1, 3, 4, 0, 2}, Orders.inverse(order));
    assertThrows(IllegalArgumentException.class, () -> Orders.inverse(new int[] {0, 0, 1}));
  }

  @Test
  void ordersPutCleanTokensFirst() {
    int m = MASK;
    int[] z = {m, 4, m, 2, 7, m, m, 1};
    Rng rng = new Rng(5);
    for (int trial = 0; trial < 20; trial++) {
      int[] d = Orders.diffusion(z, 0, z.length, m, rng);
      int[] s = Orders.sequential(z, 0, z.length, m, rng);
      for (int[] o : new int[][] {d, s}) {
        Orders.inverse(o); // a permutation
        for (int j = 0; j < 4; j++) {
          assertNotEquals(m, z[o[j]]);
          assertEquals(m, z[o[4 + j]]);
        }
      }
      // sequential: masked positions left to right
      assertArrayEquals(new int[] {0, 2, 5, 6}, Arrays.copyOfRange(s, 4, 8));
    }
    int[] sampling = Orders.sampling(10, 6, rng);
    Orders.inverse(sampling);
    for (int j = 7; j < 10; j++) {
      assertTrue(sampling[j - 1] < sampling[j]);
    }
  }

  /**
   * With logits that depend only on the rotary position, the loss the family reports at original
   * position l must be −log p(x0^l) under the table of l, and valid exactly where z_t is masked: a
   * frame mix-up (losses or masks left in sorted order) breaks this.
   */
  @Test
  void diffusionLossesComeBackInTheOriginalFrame() {
    int len = 8;
    int m = MASK;
    int[] x0 = {3, 1, 4, 1, 5, 2, 6, 0};
    int[] zt = {3, m, 4, m, m, 2, m, 0};
    TestModels.PositionTable model = new TestModels.PositionTable(len, 9);
    int[][] orders = {Orders.diffusion(zt, 0, len, m, new Rng(3))};
    assertNotEquals(
        Arrays.toString(new int[] {0, 1, 2, 3, 4, 5, 6, 7}), Arrays.toString(orders[0]));
    EsoLmLosses.TokenLosses got = EsoLmLosses.diffusion(model, x0, zt, orders, 1, len, m);
    double want = 0;
    for (int l = 0; l < len; l++) {
      assertEquals(TestModels.nll(model.table[l], x0[l]), got.loss()[l], 1e-9);
      assertEquals(zt[l] == m ? 1.0 : 0.0, got.valid()[l]);
      want += zt[l] == m ? TestModels.nll(model.table[l], x0[l]) : 0;
    }
    assertEquals(want, got.rowSum(0), 1e-9);
    assertEquals(4, got.rowCount(0));
  }

  /** An order-blind model gets the same NELBO whatever the ordering seed (≤ 1e-6 relative). */
  @Test
  void orderBlindNelboDoesNotDependOnTheOrderingSeed() {
    int batch = 3;
    int len = 10;
    for (double alpha0 : new double[] {1.0, 0.5, 0.0}) {
      EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
      int[] x0 = TestModels.tokens(batch, len, 21);
      double[] t = {0.2, 0.55, 0.9};
      Rng noise = new Rng(8);
      int[] zt = alpha0 > 0 ? family.corrupt(x0, batch, len, t, SPECIALS, noise) : null;
      int[] z0 = null;
      if (alpha0 < 1) {
        z0 = new int[x0.length];
        for (int i = 0; i < z0.length; i++) {
          z0[i] = noise.uniform() < 1 - alpha0 ? MASK : x0[i];
        }
      }
      TestModels.Unigram unigram = new TestModels.Unigram(4);
      double a = family.nelboAt(unigram, x0, zt, z0, batch, len, t, SPECIALS, new Rng(1)).nll();
      double b = family.nelboAt(unigram, x0, zt, z0, batch, len, t, SPECIALS, new Rng(2)).nll();
      assertTrue(a > 0);
      assertEquals(a, b, 1e-6 * a, "alpha_0 = " + alpha0);
      if (alpha0 == 0) {
        continue; // everything masked: the order is left to right, no randomness to check
      }
      // Control: an order-aware network sees the seeds differ.
      var dit = TestModels.dit(Attention.SORTED_CAUSAL, 3);
      double c = family.nelboAt(dit, x0, zt, z0, batch, len, t, SPECIALS, new Rng(1)).nll();
      double d = family.nelboAt(dit, x0, zt, z0, batch, len, t, SPECIALS, new Rng(2)).nll();
      assertTrue(Math.abs(c - d) > 1e-6 * c, "alpha_0 = " + alpha0 + ": " + c + " vs " + d);
    }
  }
}
