package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.Corruption;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import org.junit.jupiter.api.Test;

/** {@link DuoFamily#conditionalNelbo}: given positions clean and unscored (issue 16). */
class DuoConditionalNelboTest {
  static final int V = 11;
  static final int MASK = 4;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final int B = 3;
  static final int L = 7;
  static final double[] T = {0.05, 0.5, 0.97};

  static int[] x0() {
    int[] x0 = new int[B * L];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = (i * 5) % V == MASK ? 0 : (i * 5) % V;
    }
    return x0;
  }

  /** Prompts of 0, 3 and 6 tokens, then a position given after a gap in row 1. */
  static boolean[] given() {
    boolean[] g = new boolean[B * L];
    for (int l = 0; l < 3; l++) {
      g[L + l] = true;
    }
    g[L + 5] = true;
    for (int l = 0; l < 6; l++) {
      g[2 * L + l] = true;
    }
    return g;
  }

  @Test
  void nothingGivenIsNelboPerRowBitForBit() {
    DuoFamily duo = new DuoFamily();
    for (long seed : new long[] {1, 2, 3}) {
      TestNets.Recording a = new TestNets.Recording(V, MASK);
      TestNets.Recording b = new TestNets.Recording(V, MASK);
      NllSum plain =
          duo.nelboPerRow(
              a, x0(), B, L, T.clone(), SPECIALS, Conditioning.rowStreams(new Rng(seed), B));
      NllSum none =
          duo.conditionalNelbo(
              b,
              x0(),
              new boolean[B * L],
              B,
              L,
              T.clone(),
              SPECIALS,
              Conditioning.rowStreams(new Rng(seed), B));
      assertEquals(plain, none, "seed " + seed); // same nll (exactly) and tokens
      assertArrayEquals(a.inputs.get(0).ids(), b.inputs.get(0).ids());
      assertEquals(B * L, none.tokens());
    }
  }

  /**
   * z_t is nelboPerRow's z_t with the given positions put back to x0 (never corrupted); the sum
   * runs over the free positions only, with x_θ from that one forward.
   */
  @Test
  void givenPositionsAreCleanInTheInputAndNotScored() {
    DuoFamily duo = new DuoFamily();
    int[] x0 = x0();
    boolean[] given = given();
    TestNets.Recording net = new TestNets.Recording(V, MASK);
    NllSum s =
        duo.conditionalNelbo(
            net, x0, given, B, L, T.clone(), SPECIALS, Conditioning.rowStreams(new Rng(5), B));
    Rng[] rows = Conditioning.rowStreams(new Rng(5), B);
    int[] zt =
        Corruption.perRow(x0, B, L, T, rows, (r, tb, rng) -> duo.corrupt(r, 1, L, tb, V, rng));
    int corruptedGiven = 0;
    for (int i = 0; i < zt.length; i++) {
      if (given[i]) {
        corruptedGiven += zt[i] != x0[i] ? 1 : 0;
        zt[i] = x0[i];
      }
    }
    assertNotEquals(0, corruptedGiven, "the test must see a given position the noise hit");
    assertArrayEquals(zt, net.inputs.get(0).ids());
    LogLinearSchedule sched = new LogLinearSchedule();
    Logits logits = net.outputs.get(0);
    double total = 0;
    long tokens = 0;
    for (int b = 0; b < B; b++) {
      assertEquals((float) sched.sigma(T[b]), net.sigmas.get(0)[b], 0f);
      for (int l = 0; l < L; l++) {
        int i = b * L + l;
        if (given[i]) {
          continue;
        }
        double[] p =
            MaskedSoftmax.softmax(logits.values(), logits.offset(b, l), V, MASK, new double[V]);
        total +=
            DuoMath.tokenLoss(
                p,
                0,
                V,
                x0[i],
                zt[i],
                sched.alpha(T[b]),
                sched.moveProbability(T[b]),
                sched.alphaDerivative(T[b]));
        tokens++;
      }
    }
    assertEquals(7 + 3 + 1, tokens);
    assertEquals(tokens, s.tokens());
    assertEquals(total, s.nll(), 0);
    // nelboAt with the mask scores the same terms
    assertEquals(s, duo.nelboAt(new TestNets.Recording(V, MASK), x0, zt, given, B, L, T, SPECIALS));
  }

  /** A row's term depends only on its own stream, x0 and mask (batched = one by one). */
  @Test
  void rowsAreIndependentOfTheirBatch() {
    DuoFamily duo = new DuoFamily();
    int[] x0 = x0();
    boolean[] given = given();
    NllSum batched =
        duo.conditionalNelbo(
            new TestNets.Recording(V, MASK),
            x0,
            given,
            B,
            L,
            T.clone(),
            SPECIALS,
            Conditioning.rowStreams(new Rng(8), B));
    Rng[] rows = Conditioning.rowStreams(new Rng(8), B);
    double sum = 0;
    long tokens = 0;
    for (int b = 0; b < B; b++) {
      NllSum one =
          duo.conditionalNelbo(
              new TestNets.Recording(V, MASK),
              java.util.Arrays.copyOfRange(x0, b * L, (b + 1) * L),
              java.util.Arrays.copyOfRange(given, b * L, (b + 1) * L),
              1,
              L,
              new double[] {T[b]},
              SPECIALS,
              new Rng[] {rows[b]});
      sum += one.nll();
      tokens += one.tokens();
    }
    assertEquals(batched.tokens(), tokens);
    assertEquals(batched.nll(), sum, 1e-12 * Math.abs(sum));
  }

  @Test
  void refusesMismatchedShapes() {
    DuoFamily duo = new DuoFamily();
    TestNets.Recording net = new TestNets.Recording(V, MASK);
    Rng[] rows = Conditioning.rowStreams(new Rng(1), B);
    assertThrows(
        IllegalArgumentException.class,
        () -> duo.conditionalNelbo(net, x0(), new boolean[L], B, L, T, SPECIALS, rows));
    assertThrows(
        IllegalArgumentException.class,
        () -> duo.conditionalNelbo(net, x0(), null, B, L, T, SPECIALS, rows));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            duo.conditionalNelbo(
                net, x0(), given(), B, L, T, SPECIALS, Conditioning.rowStreams(new Rng(1), 2)));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            duo.forVocabulary(V + 1).conditionalNelbo(net, x0(), given(), B, L, T, SPECIALS, rows));
  }
}
