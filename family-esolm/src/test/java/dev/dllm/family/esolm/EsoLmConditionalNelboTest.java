package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.EsoLmConditionalFixtures.L;
import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conditional Eso-LM likelihood on a random float64 DiT (spec §11.1): given positions stay clean
 * and unscored.
 */
class EsoLmConditionalNelboTest {
  /**
   * Conditional NELBO: with nothing given it is nelboPerRow exactly (same streams, same numbers);
   * the given positions are clean, first (left to right) in every network input and never scored.
   */
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.5, 0.0})
  void conditionalNelboKeepsGivenCleanAndUnscored(double alpha0) {
    EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 26);
    int batch = 3;
    int[] x0 = TestModels.tokens(batch, L, 3);
    double[] t = {0.2, 0.55, 0.9};
    NllSum plain =
        family.nelboPerRow(dit, x0, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    NllSum none =
        family.conditionalNelbo(
            dit,
            x0,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(plain, none, "nothing given = nelboPerRow, bit for bit");

    boolean[] given = new boolean[batch * L];
    int[] prompt = {4, 0, 7};
    for (int b = 0; b < batch; b++) {
      Arrays.fill(given, b * L, b * L + prompt[b], true);
    }
    given[2 * L + L - 1] = true; // a suffix token too
    int free = batch * L - 4 - 7 - 1;
    InputSpy spy = new InputSpy(dit, x0, given);
    NllSum cond =
        family.conditionalNelbo(
            spy, x0, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(free, cond.tokens());
    assertTrue(cond.nll() > 0 && Double.isFinite(cond.nll()));
    assertTrue(spy.forwards > 0);

    // logits that depend on the position only: a given token's value cannot change the sum
    TestModels.PositionTable table = new TestModels.PositionTable(L, 9);
    int[] other = x0.clone();
    other[1] = (other[1] + 1) % MASK;
    other[2 * L + L - 1] = (other[2 * L + L - 1] + 3) % MASK;
    NllSum a =
        family.conditionalNelbo(
            table, x0, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    NllSum b =
        family.conditionalNelbo(
            table, other, given, batch, L, t, SPECIALS, Conditioning.rowStreams(new Rng(6), 3));
    assertEquals(a, b, "a given position was scored");
    NllSum freeA =
        family.conditionalNelbo(
            table,
            x0,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    NllSum freeB =
        family.conditionalNelbo(
            table,
            other,
            new boolean[batch * L],
            batch,
            L,
            t,
            SPECIALS,
            Conditioning.rowStreams(new Rng(6), 3));
    assertNotEquals(freeA.nll(), freeB.nll(), "the same positions are scored when free");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            family.conditionalNelbo(
                dit,
                x0,
                new boolean[3],
                batch,
                L,
                t,
                SPECIALS,
                Conditioning.rowStreams(new Rng(6), 3)));
  }

  /**
   * Checks every network input of the NELBO: row b's first G_b fed tokens are its given positions
   * in ascending order with their clean ids (z half and x half of the two-stream input alike).
   */
  private static final class InputSpy implements Denoiser {
    final Denoiser inner;
    final int[] x0;
    final boolean[] given;
    int forwards;

    InputSpy(Denoiser inner, int[] x0, boolean[] given) {
      this.inner = inner;
      this.x0 = x0;
      this.given = given;
    }

    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      throw new AssertionError("the NELBO feeds a layout");
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
      forwards++;
      int n = tokens.length();
      for (int b = 0; b < tokens.batch(); b++) {
        List<Integer> want = new ArrayList<>();
        for (int l = 0; l < L; l++) {
          if (given[b * L + l]) {
            want.add(l);
          }
        }
        for (int half = 0; half < n / L; half++) {
          for (int j = 0; j < want.size(); j++) {
            int at = half * L + j;
            assertEquals((int) want.get(j), layout.position(b, at), "given first, in order");
            assertEquals(x0[b * L + want.get(j)], tokens.get(b, at), "given token clean");
          }
        }
      }
      return inner.forward(tokens, sigma, layout);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }
  }
}
