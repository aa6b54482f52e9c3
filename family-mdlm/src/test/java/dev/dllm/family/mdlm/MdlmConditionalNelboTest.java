package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link MdlmFamily#conditionalNelbo}: the NELBO with given positions kept clean and unscored. */
class MdlmConditionalNelboTest {
  static final int V = 7;
  static final int MASK = 3;
  static final int B = 5;
  static final int L = 9;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final double[] T = {0.02, 0.25, 0.5, 0.77, 1.0};

  final MdlmFamily family = new MdlmFamily();
  final int[] x0 = new int[B * L];

  MdlmConditionalNelboTest() {
    Random r = new Random(8);
    for (int i = 0; i < x0.length; i++) {
      int v = r.nextInt(V - 1);
      x0[i] = v >= MASK ? v + 1 : v;
    }
  }

  static Rng[] streams() {
    return Conditioning.rowStreams(new Rng(17), B);
  }

  /** Row b: a prompt of 2b tokens, and (rows 1, 3) a given last token. */
  static boolean[] prompts() {
    boolean[] given = new boolean[B * L];
    for (int b = 0; b < B; b++) {
      for (int l = 0; l < 2 * b; l++) {
        given[b * L + l] = true;
      }
      if (b % 2 == 1) {
        given[b * L + L - 1] = true;
      }
    }
    return given;
  }

  @Test
  void withNothingGivenItIsNelboPerRowExactly() {
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    NllSum plain = family.nelboPerRow(d, x0, B, L, T.clone(), SPECIALS, streams());
    NllSum empty =
        family.conditionalNelbo(d, x0, new boolean[B * L], B, L, T.clone(), SPECIALS, streams());
    assertEquals(plain.nll(), empty.nll(), 0.0);
    assertEquals(plain.tokens(), empty.tokens());
    assertEquals((long) B * L, empty.tokens());
    assertArrayEquals(d.inputs.get(0).ids(), d.inputs.get(1).ids(), "the same z_t");
    assertTrue(plain.nll() > 0);
  }

  /**
   * Given positions are clean in the network's input; free positions are masked exactly where the
   * unconditional z_t (same streams) masks them; the sum is the 1/t-weighted cross entropy over the
   * masked free positions only; tokens = the number of free positions.
   */
  @Test
  void givenPositionsAreNeverCorruptedNorScored() {
    boolean[] given = prompts();
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    family.nelboPerRow(d, x0, B, L, T.clone(), SPECIALS, streams());
    NllSum cond = family.conditionalNelbo(d, x0, given, B, L, T.clone(), SPECIALS, streams());
    TokenBatch unconditional = d.inputs.get(0);
    TokenBatch zt = d.inputs.get(1);
    long free = 0;
    double want = 0;
    Logits logits = new TestDenoisers.Recording(V, MASK).forward(zt, null);
    for (int b = 0; b < B; b++) {
      double row = 0;
      for (int l = 0; l < L; l++) {
        int i = b * L + l;
        if (given[i]) {
          assertEquals(x0[i], zt.get(b, l), "a given position was corrupted at " + b + ", " + l);
        } else {
          free++;
          assertEquals(unconditional.get(b, l), zt.get(b, l), "free noise changed by the prompt");
          if (zt.get(b, l) == MASK) {
            row -= MaskedSoftmax.logProb(logits.values(), logits.offset(b, l), V, MASK, x0[i]);
          }
        }
      }
      want += row / T[b];
    }
    assertEquals(free, cond.tokens());
    assertEquals(want, cond.nll(), 1e-9 * want);
    assertTrue(cond.nll() > 0);
    // a different prompt token changes the condition (the network input), not what is scored
    int[] other = x0.clone();
    other[B * L - 1] = other[B * L - 1] == 0 ? 4 : 0; // row 4's given last token
    NllSum changed = family.conditionalNelbo(d, other, given, B, L, T.clone(), SPECIALS, streams());
    assertEquals(cond.tokens(), changed.tokens());
    assertNotEquals(cond.nll(), changed.nll());
  }

  @Test
  void everythingGivenScoresNothing() {
    boolean[] all = new boolean[B * L];
    java.util.Arrays.fill(all, true);
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    NllSum s = family.conditionalNelbo(d, x0, all, B, L, T.clone(), SPECIALS, streams());
    assertEquals(0.0, s.nll(), 0.0);
    assertEquals(0, s.tokens());
    assertArrayEquals(x0, d.inputs.get(0).ids());
  }

  @Test
  void rowsAreIndependentOfTheirBatch() {
    boolean[] given = prompts();
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    NllSum batched = family.conditionalNelbo(d, x0, given, B, L, T.clone(), SPECIALS, streams());
    Rng[] rows = streams();
    double sum = 0;
    long tokens = 0;
    for (int b = 0; b < B; b++) {
      NllSum one =
          family.conditionalNelbo(
              d,
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
    assertEquals(batched.nll(), sum, 1e-12 * sum);
    assertEquals(batched.tokens(), tokens);
  }

  @Test
  void badShapesAreRefused() {
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    assertThrows(
        IllegalArgumentException.class,
        () -> family.conditionalNelbo(d, x0, new boolean[3], B, L, T.clone(), SPECIALS, streams()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            family.conditionalNelbo(
                d, x0, new boolean[B * L], B, L, T.clone(), SPECIALS, new Rng[] {new Rng(1)}));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            family.conditionalNelbo(
                d, x0, new boolean[B * L], B, L, new double[] {0.5}, SPECIALS, streams()));
    assertEquals(0, d.inputs.size());
  }
}
