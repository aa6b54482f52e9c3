package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.L;
import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.REMOVALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static dev.dllm.family.duo.DuoConditionalFixtures.mixed;
import static dev.dllm.family.duo.DuoConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Duo's clamped conditional sampler (issue 16) on small deterministic networks: given ids are
 * clamped in every forward and the free positions follow the spec's loop.
 */
class DuoConditionalSamplerTest {
  /** Given ids sit in z_t of every forward (the first at t = 1 included) and come back verbatim. */
  @Test
  void givenIdsAreInEveryForwardAndComeBackVerbatim() {
    Conditioning given = mixed();
    for (double topP : new double[] {1.0, 0.8}) {
      for (String removal : REMOVALS) {
        TestNets.Recording net = new TestNets.Recording(V, MASK);
        SampleBatch s =
            sampler(5, topP, Map.of("noise_removal", removal))
                .sample(net, given, SPECIALS, Conditioning.rowStreams(new Rng(3), 5), null);
        String what = removal + ", top-p " + topP;
        assertEquals(removal.equals("none") ? 5 : 6, s.nfe(), what);
        assertEquals(s.nfe(), net.inputs.size(), what);
        for (TokenBatch in : net.inputs) {
          assertClamped(given, in, what + ", network input");
        }
        assertClamped(given, s.tokens(), what + ", sample");
        // the free positions moved: the chain ran
        assertNotEquals(
            Arrays.toString(net.inputs.get(0).ids()), Arrays.toString(s.tokens().ids()), what);
      }
    }
  }

  static void assertClamped(Conditioning given, TokenBatch x, String what) {
    assertEquals(given.batch(), x.batch(), what);
    assertEquals(given.length(), x.length(), what);
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < given.length(); l++) {
        if (given.isGiven(b, l)) {
          assertEquals(given.id(b, l), x.get(b, l), what + " at row " + b + ", position " + l);
        }
      }
    }
  }

  /**
   * The greedy tail takes argmax x_θ at the free positions only: a network whose last logits put
   * all mass on another id at every given position cannot move them.
   */
  @Test
  void greedyTailKeepsGivenPositions() {
    Conditioning given = mixed();
    for (String option : new String[] {"greedy_tail", "noise_removal"}) {
      Map<String, String> opts =
          option.equals("greedy_tail")
              ? Map.of("greedy_tail", "true")
              : Map.of("noise_removal", "greedy");
      for (int steps : new int[] {1, 4}) { // T = 1: a distilled few-step model's extreme
        Adversary net = new Adversary(given);
        SampleBatch s =
            sampler(steps, 1, opts)
                .sample(net, given, SPECIALS, Conditioning.rowStreams(new Rng(5), 5), null);
        assertClamped(given, s.tokens(), option + ", T = " + steps);
        Logits last = net.inner.outputs.get(net.inner.outputs.size() - 1);
        for (int b = 0; b < given.batch(); b++) {
          for (int l = 0; l < L; l++) {
            if (!given.isGiven(b, l)) {
              assertEquals(DuoSampler.argmax(last, b, l, MASK), s.tokens().get(b, l));
            }
          }
        }
      }
    }
  }

  /** {@link TestNets.Recording} with logit 40 on (given id + 1) mod V at every given position. */
  static final class Adversary implements Denoiser {
    final TestNets.Recording inner = new TestNets.Recording(V, MASK);
    final Conditioning given;

    Adversary(Conditioning given) {
      this.given = given;
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      Logits out = inner.forward(tokens, sigma);
      for (int b = 0; b < tokens.batch(); b++) {
        for (int l = 0; l < tokens.length(); l++) {
          if (given.isGiven(b, l)) {
            int other = (given.id(b, l) + 1) % V == MASK ? MASK + 1 : (given.id(b, l) + 1) % V;
            out.values()[out.offset(b, l) + other] = 40f;
          }
        }
      }
      return out;
    }
  }

  /**
   * The sampler (bounded fast path, rows in parallel) equals a sequential replay of the spec's loop
   * that clamps the given ids, draws the prior only at free positions and redraws only free
   * positions with the exact per-position {@link DuoSampler#draw}, from the row's own stream.
   */
  @Test
  void freePositionsEqualASequentialReplayThatSkipsGivenOnes() {
    Conditioning given = mixed();
    int steps = 5;
    int batch = given.batch();
    for (String removal : new String[] {"ancestral", "greedy"}) {
      TestNets.Recording net = new TestNets.Recording(V, MASK);
      SampleBatch s =
          sampler(steps, 1, Map.of("noise_removal", removal))
              .sample(net, given, SPECIALS, Conditioning.rowStreams(new Rng(8), batch), null);
      Rng[] rows = Conditioning.rowStreams(new Rng(8), batch);
      int[] x = new int[batch * L];
      for (int j = 0; j < x.length; j++) {
        x[j] = given.isGiven(j / L, j % L) ? given.id(j / L, j % L) : rows[j / L].nextInt(V);
      }
      DuoReplay.replay(net, x, rows, steps, removal, L, given, V, MASK);
      assertArrayEquals(x, s.tokens().ids(), removal);
    }
  }
}
