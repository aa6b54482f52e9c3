package dev.dllm.eval.likelihood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.eval.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conditional NELBO of {@code dllm prompt-eval} ({@link LikelihoodEval#evaluate} with prompt
 * masks): a function of (seed, row index) only, nothing given = the plain eval NELBO, only free
 * positions counted, and for AR the exact NLL of the continuation by hand.
 */
class PromptNelboTest {
  private static final int V = 9;
  private static final int PAD = 7;
  private static final int MASK = 8;
  private static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, PAD, MASK);
  private static final int L = 8;
  private static final int P = 3;

  private static List<int[]> rows() {
    SplittableRandom r = new SplittableRandom(5);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      int[] row = new int[L];
      for (int l = 0; l < L; l++) {
        row[l] = r.nextInt(7);
      }
      out.add(row);
    }
    return out;
  }

  private static List<boolean[]> masks(int n, int p) {
    List<boolean[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean[] g = new boolean[L];
      Arrays.fill(g, 0, p, true);
      out.add(g);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo", "esolm", "ar"})
  void batchInvariantAndNothingGivenIsThePlainNelbo(String name) {
    DiffusionFamily family = FamilyRegistry.load().get(name);
    ReferenceDit dit = TestModels.randomDit(V, family.backbone().attention(), 3);
    List<int[]> rows = rows();
    LikelihoodEval.Result plain = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, 4, 42);
    LikelihoodEval.Result none =
        LikelihoodEval.evaluate(family, dit, SPECIALS, rows, masks(rows.size(), 0), 4, 42);
    assertEquals(plain.total().tokens(), none.total().tokens());
    assertEquals(plain.total().nll(), none.total().nll(), 1e-9 * plain.total().nll());
    List<boolean[]> given = masks(rows.size(), P);
    LikelihoodEval.Result b1 = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, given, 1, 42);
    LikelihoodEval.Result b4 = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, given, 4, 42);
    assertEquals(b1.total().nll(), b4.total().nll(), 1e-9 * b1.total().nll());
    assertEquals(b1.total().tokens(), b4.total().tokens());
    assertTrue(
        b1.total().tokens() > 0 && b1.total().tokens() <= (long) rows.size() * (L - P),
        "only the continuation is scored: " + b1.total());
    assertTrue(Double.isFinite(b1.natsPerToken()) && b1.natsPerToken() > 0);
  }

  @Test
  void arIsTheExactNllOfTheContinuationByHand() {
    DiffusionFamily ar = FamilyRegistry.load().get("ar");
    ReferenceDit dit = TestModels.randomDit(V, ar.backbone().attention(), 4);
    List<int[]> rows = rows();
    LikelihoodEval.Result r =
        LikelihoodEval.evaluate(ar, dit, SPECIALS, rows, masks(rows.size(), P), 3, 0);
    double nll = 0;
    for (int[] row : rows) {
      Logits lg = dit.forward(new TokenBatch(row, 1, L), null);
      for (int l = P - 1; l < L - 1; l++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) {
          if (v != MASK) {
            max = Math.max(max, lg.get(0, l, v));
          }
        }
        double sum = 0;
        for (int v = 0; v < V; v++) {
          if (v != MASK) {
            sum += Math.exp(lg.get(0, l, v) - max);
          }
        }
        nll -= lg.get(0, l, row[l + 1]) - max - Math.log(sum);
      }
    }
    assertEquals((long) rows.size() * (L - P), r.total().tokens());
    assertEquals(nll, r.total().nll(), 1e-9 * nll);
  }
}
