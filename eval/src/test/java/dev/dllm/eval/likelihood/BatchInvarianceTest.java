package dev.dllm.eval.likelihood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.eval.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The eval NELBO is a function of (seed, row index) only: --batch 1, 3 and 8 give the same sum, and
 * it equals the documented definition computed row by row with the family's own {@code nelbo}.
 */
class BatchInvarianceTest {
  private static final int V = 9;
  private static final int PAD = 7;
  private static final int MASK = 8;
  private static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, PAD, MASK);

  private static List<int[]> rows() {
    SplittableRandom r = new SplittableRandom(5);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < 13; i++) {
      int[] row = new int[i == 4 || i == 11 ? 4 : 6]; // two short rows (a corpus tail)
      for (int l = 0; l < row.length; l++) {
        row[l] = r.nextInt(7);
      }
      out.add(row);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo", "esolm", "ar"})
  void sameValueAtAnyBatchSizeAndEqualToTheRowByRowDefinition(String name) {
    DiffusionFamily family = FamilyRegistry.load().get(name);
    ReferenceDit dit = TestModels.randomDit(V, family.backbone().attention(), 3);
    List<int[]> rows = rows();
    long seed = 42;
    double b1 = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, 1, seed).total().nll();
    double b3 = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, 3, seed).total().nll();
    LikelihoodEval.Result r8 = LikelihoodEval.evaluate(family, dit, SPECIALS, rows, 8, seed);
    assertEquals(b1, b3, 1e-9 * Math.abs(b1));
    assertEquals(b1, r8.total().nll(), 1e-9 * Math.abs(b1));
    assertEquals(11 * 6 + 2 * 4 - (name.equals("ar") ? 13 : 0), r8.total().tokens());

    // oracle: t over the whole split from new Rng(seed), then row i's own split, nelbo per row
    Rng root = new Rng(seed);
    double[] t = new TimeSampler().sampleGlobal(rows.size(), root);
    double expected = 0;
    for (int i = 0; i < rows.size(); i++) {
      int[] row = rows.get(i);
      expected +=
          family.nelbo(dit, row, 1, row.length, new double[] {t[i]}, SPECIALS, root.split()).nll();
    }
    assertEquals(expected, r8.total().nll(), 1e-9 * Math.abs(expected));
    if (!name.equals("ar")) { // the noise does depend on the seed
      double other =
          LikelihoodEval.evaluate(family, dit, SPECIALS, rows, 8, seed + 1).total().nll();
      assertNotEquals(r8.total().nll(), other);
    }
  }
}
