package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static dev.dllm.family.duo.DuoConditionalFixtures.mixed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.LogLinearSchedule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** Duo's {@code predictor=confidence} on hand-made logits (issue 20). */
class DuoConfidenceTest {

  static Sampler sampler(int steps, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "confidence");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new DuoFamily().newSampler(new SamplerSpec(steps, 1.0, o));
  }

  /**
   * Position l gets logit a[l] at token 4 + l % 4 and 0 elsewhere (mask logit 40, suppressed), so
   * its confidence is e^a / (e^a + V − 2) whatever the input; records inputs and sigmas.
   */
  static final class Designed implements Denoiser {
    final double[] a;
    final List<TokenBatch> inputs = new ArrayList<>();
    final List<float[]> sigmas = new ArrayList<>();

    Designed(double... a) {
      this.a = a;
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch t, float[] sigma) {
      inputs.add(new TokenBatch(t.ids().clone(), t.batch(), t.length()));
      sigmas.add(sigma.clone());
      float[] out = new float[t.ids().length * V];
      for (int b = 0; b < t.batch(); b++) {
        for (int l = 0; l < t.length(); l++) {
          int o = (b * t.length() + l) * V;
          out[o + 4 + l % 4] = (float) a[l];
          out[o + MASK] = 40f;
        }
      }
      return new Logits(out, t.batch(), t.length(), V);
    }
  }

  static double logitFor(double c) {
    return Math.log(c * (V - 2) / (1 - c));
  }

  @Test
  void committedPositionsAreClampedAndNothingBeyondTheBlockMoves() {
    double[] c = {0.95, 0.5, 0.92, 0.3, 0.99, 0.99, 0.99, 0.99};
    double[] a = new double[c.length];
    for (int l = 0; l < c.length; l++) {
      a[l] = logitFor(c[l]);
    }
    Designed net = new Designed(a);
    SampleBatch s =
        sampler(8, "threshold", "0.9", "block_length", "4", "proposal", "argmax")
            .sample(net, 1, 8, SPECIALS, new Rng(1));
    int[] first = net.inputs.get(0).ids();
    int[] second = net.inputs.get(1).ids();
    assertEquals(4, second[0]); // >= 0.9: committed at step 1 and clamped from then on
    assertEquals(6, second[2]);
    for (int l = 4; l < 8; l++) { // the next block keeps its prior draw, confidence 0.99 or not
      assertEquals(first[l], second[l], "position " + l);
    }
    for (int i = 1; i < net.inputs.size(); i++) {
      assertEquals(4, net.inputs.get(i).get(0, 0));
      assertEquals(6, net.inputs.get(i).get(0, 2));
    }
    // step 2: only the top-1 of {0.5, 0.3}; step 3: the last; step 4: block 2 at once
    assertEquals(5, net.inputs.get(2).get(0, 1));
    assertEquals(4, s.nfe());
    assertArrayEquals(new int[] {4, 5, 6, 7, 4, 5, 6, 7}, s.tokens().ids());
  }

  @Test
  void sigmaIsTheRowsMeanNoiseLevel() {
    double[] a = {9, 0, 0, 0, 0, 0, 0, 0}; // position 0 certain, the others 1/(V-1)
    Designed net = new Designed(a);
    sampler(8, "threshold", "0.9", "block_length", "4", "proposal", "argmax")
        .sample(net, 1, 8, SPECIALS, new Rng(2));
    LogLinearSchedule schedule = new LogLinearSchedule();
    double alphaOne = schedule.alpha(1.0);
    assertEquals((float) -Math.log(alphaOne), net.sigmas.get(0)[0], 1e-5);
    // step 2 of block [0, 4) (budget 4): t = 1 - (1 - 1e-5)/4; position 0 committed, 1..3 open
    double alphaT = schedule.alpha(1 - (1 - 1e-5) / 4);
    double mean = (1 + 3 * alphaT + 4 * alphaOne) / 8;
    assertEquals((float) -Math.log(mean), net.sigmas.get(1)[0], 1e-5);
  }

  @Test
  void thresholdOneGivesExactlyOneCommitPerStep() {
    for (String tau : new String[] {"1", "0.999999999"}) {
      TestNets.Recording net = new TestNets.Recording(V, MASK);
      SampleBatch s =
          sampler(10, "threshold", tau, "block_length", "5")
              .sample(net, 1, 10, SPECIALS, new Rng(7));
      // each step commits at least one; 10 free positions in 10 forwards: exactly one each
      assertEquals(10, s.nfe());
      for (int id : s.tokens().ids()) {
        assertTrue(id != MASK && id >= 0 && id < V);
      }
    }
  }

  @Test
  void givenIdsComeBackAndSamplesDependOnlyOnTheSeed() throws Exception {
    Conditioning given = mixed();
    Sampler s = sampler(6, "threshold", "0.3", "block_length", "3");
    Rng[] a = Conditioning.rowStreams(new Rng(9), given.batch());
    Rng[] b = Conditioning.rowStreams(new Rng(9), given.batch());
    SampleBatch one =
        new ForkJoinPool(1)
            .submit(() -> s.sample(new TestNets.Recording(V, MASK), given, SPECIALS, a, null))
            .get();
    SampleBatch four =
        new ForkJoinPool(4)
            .submit(() -> s.sample(new TestNets.Recording(V, MASK), given, SPECIALS, b, null))
            .get();
    assertArrayEquals(one.tokens().ids(), four.tokens().ids());
    assertEquals(one.nfe(), four.nfe());
    DuoConditionalSamplerTest.assertClamped(given, one.tokens(), "confidence sample");
    Rng[] rows = Conditioning.rowStreams(new Rng(9), given.batch());
    for (int r = 0; r < given.batch(); r++) {
      SampleBatch alone =
          s.sample(
              new TestNets.Recording(V, MASK), given.row(r), SPECIALS, new Rng[] {rows[r]}, null);
      for (int l = 0; l < given.length(); l++) {
        assertEquals(one.tokens().get(r, l), alone.tokens().get(0, l), "row " + r);
      }
    }
  }

  @Test
  void optionsOfTheAncestralSamplerAreRefusedWithIt() {
    DuoFamily f = new DuoFamily();
    for (String k : new String[] {"greedy_tail", "noise_removal", "prompt_sigma"}) {
      Map<String, String> o = Map.of("predictor", "confidence", k, "true");
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> f.newSampler(new SamplerSpec(8, 1, o)));
      assertTrue(e.getMessage().contains(k), e.getMessage());
    }
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> f.newSampler(new SamplerSpec(8, 1, Map.of("block_length", "4"))));
    assertTrue(e.getMessage().contains("predictor=confidence"), e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> f.newSampler(new SamplerSpec(8, 1, Map.of("predictor", "fixed_count"))));
  }
}
