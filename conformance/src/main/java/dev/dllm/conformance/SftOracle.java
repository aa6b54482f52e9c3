package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;

/**
 * Part 3 of {@link SftMaskCheck}: for each row alone, the DJL loss equals the family's float64
 * {@link DiffusionFamily#conditionalNelbo} over {@link ReferenceDit}, divided by its {@link
 * NllSum#tokens()}.
 */
final class SftOracle {
  private SftOracle() {}

  /** Returns the number of comparisons made. */
  static int run(
      Fixture f, DiffusionFamily family, SftNet net, String name, boolean[] prompt, int b, int l) {
    SpecialTokens specials = f.tokenizer.specials();
    ReferenceDit reference = new ReferenceDit(f.weights);
    double[] t = LossCheck.times(family, b);
    int checked = 0;
    int positive = 0;
    for (long seed = 1; seed <= 3; seed++) {
      int[] x0 = f.cleanTokens(seed);
      for (int row = 0; row < b; row++) {
        int[] x = Arrays.copyOfRange(x0, row * l, (row + 1) * l);
        boolean[] g = Arrays.copyOfRange(prompt, row * l, (row + 1) * l);
        double[] tr = {t[row]};
        NllSum want =
            family.conditionalNelbo(
                reference, x.clone(), g.clone(), 1, l, tr.clone(), specials, rngs(seed));
        assertTrue(
            want.tokens() > 0 && want.nll() >= 0 && Double.isFinite(want.nll()),
            "conditional NELBO " + want);
        positive += want.nll() > 0 ? 1 : 0;
        double expected = want.nll() / want.tokens();
        float got = net.loss(net.batch(x, 1, l, tr, seed, g), name, null).loss();
        assertEquals(
            expected,
            got,
            FamilyConformanceTestCase.LOSS_TOLERANCE * Math.max(1, Math.abs(expected)),
            name
                + " seed "
                + seed
                + ", row "
                + row
                + " (prompt of "
                + prefix(g)
                + "): SFT loss vs conditionalNelbo "
                + want
                + " / tokens");
        checked++;
      }
    }
    assertTrue(
        positive > 0,
        name + ": every conditional NELBO of the oracle check is 0 (nothing masked); vacuous");
    return checked;
  }

  private static Rng[] rngs(long seed) {
    return new Rng[] {new Rng(seed)};
  }

  private static int prefix(boolean[] g) {
    int n = 0;
    while (n < g.length && g[n]) {
      n++;
    }
    return n;
  }
}
