package dev.dllm.eval.likelihood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.eval.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Padding never changes a valid position's logits or the NLL: checked against the float64 reference
 * forward with an explicit key-padding attention mask (a second implementation).
 */
class PaddingInvarianceTest {
  private static final int V = 9;
  private static final int PAD = 7;
  private static final int MASK = 8;
  private static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, PAD, MASK);

  @Test
  void logitsOfAEqualThoseOfAPadWithTheMask() {
    ReferenceDit dit = TestModels.randomDit(V, Attention.BIDIRECTIONAL, 3);
    Logits alone = dit.forward(new TokenBatch(new int[] {2}, 1, 1), new float[] {0.4f});
    TokenBatch padded = new TokenBatch(new int[] {2, PAD}, 1, 2);
    Logits masked = UnpaddedForward.forward(dit, padded, new int[] {1}, new float[] {0.4f});
    Logits naive = dit.forward(padded, new float[] {0.4f});
    double maxNaive = 0;
    for (int v = 0; v < V; v++) {
      assertEquals(alone.get(0, 0, v), masked.get(0, 0, v), 0f);
      assertTrue(Float.isNaN(masked.get(0, 1, v)));
      maxNaive = Math.max(maxNaive, Math.abs(alone.get(0, 0, v) - naive.get(0, 0, v)));
    }
    assertTrue(maxNaive > 1e-4, "without the mask the PAD key must change the logits");
  }

  @Test
  void equalsAKeyPaddingAttentionMask() {
    ReferenceDit dit = TestModels.randomDit(V, Attention.BIDIRECTIONAL, 5);
    int l = 5;
    int[] ids = {1, 2, 3, 4, 5, 6, 0, 1, PAD, PAD};
    int[] lengths = {5, 3};
    float[] sigma = {0.2f, 1.1f};
    Logits ours = UnpaddedForward.forward(dit, new TokenBatch(ids, 2, l), lengths, sigma);
    boolean[] allowed = new boolean[2 * l * l];
    for (int b = 0; b < 2; b++) {
      for (int q = 0; q < l; q++) {
        for (int k = 0; k < l; k++) {
          allowed[(b * l + q) * l + k] = k < lengths[b];
        }
      }
    }
    double[] ref =
        dit.forward64(new TokenBatch(ids, 2, l), new double[] {0.2f, 1.1f}, null, allowed);
    for (int b = 0; b < 2; b++) {
      for (int q = 0; q < lengths[b]; q++) {
        for (int v = 0; v < V; v++) {
          assertEquals(ref[(b * l + q) * V + v], ours.get(b, q, v), 1e-5);
        }
      }
    }
  }

  @Test
  void nllOfMixedLengthsEqualsEachRowAlone() {
    DiffusionFamily ar = FamilyRegistry.load().get("ar");
    ReferenceDit dit = TestModels.randomDit(V, Attention.CAUSAL, 7);
    int[] a = {1, 2, 3, 4, 5};
    int[] b = {6, 0, 1};
    LikelihoodEval.Result r = LikelihoodEval.evaluate(ar, dit, SPECIALS, List.of(a, b), 8, 1);
    NllSum ea = ar.nelbo(dit, a, 1, 5, new double[1], SPECIALS, new Rng(0));
    NllSum eb = ar.nelbo(dit, b, 1, 3, new double[1], SPECIALS, new Rng(0));
    assertEquals(4 + 2, r.total().tokens());
    assertEquals(ea.nll() + eb.nll(), r.total().nll(), 1e-6);
    assertEquals(2, r.batches());
  }

  @Test
  void diffusionNelboIsAWeightedSumOverRealTokensOnly() {
    DiffusionFamily mdlm = FamilyRegistry.load().get("mdlm");
    ReferenceDit dit = TestModels.randomDit(V, Attention.BIDIRECTIONAL, 9);
    int[] a = {1, 2, 3, 4, 5};
    int[] b = {6, 0, 1};
    LikelihoodEval.Result r = LikelihoodEval.evaluate(mdlm, dit, SPECIALS, List.of(a, b), 8, 11);
    assertEquals(8, r.total().tokens()); // 5 + 3, never 10
    assertTrue(Double.isFinite(r.total().nll()) && r.total().nll() > 0);
    // same seed, same corruptions: deterministic
    assertEquals(
        r.total().nll(),
        LikelihoodEval.evaluate(mdlm, dit, SPECIALS, List.of(a, b), 8, 11).total().nll(),
        0);
  }
}
