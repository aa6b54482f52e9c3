package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** MDLM's {@code predictor=confidence} on hand-made logits (issue 20). */
class MdlmConfidenceTest {
  static final int V = 6;
  static final int MASK = 5;
  static final int EOS = 4;
  static final SpecialTokens SPECIALS = new SpecialTokens(3, EOS, 3, MASK);

  static Sampler sampler(int steps, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "confidence");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new MdlmFamily().newSampler(new SamplerSpec(steps, 1.0, o));
  }

  /**
   * Position l gets logit a[l] at token l % 4 and 0 elsewhere (mask logit 40, suppressed), so its
   * confidence is e^a / (e^a + V − 2), whatever the input; records every input.
   */
  static final class Designed implements Denoiser {
    final double[] a;
    final List<TokenBatch> inputs = new ArrayList<>();

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
      float[] out = new float[t.ids().length * V];
      for (int b = 0; b < t.batch(); b++) {
        for (int l = 0; l < t.length(); l++) {
          int o = (b * t.length() + l) * V;
          out[o + l % 4] = (float) a[l];
          out[o + MASK] = 40f;
        }
      }
      return new Logits(out, t.batch(), t.length(), V);
    }
  }

  /** The logit giving confidence c under {@link Designed}: c = e^a / (e^a + V − 2). */
  static double logitFor(double c) {
    return Math.log(c * (V - 2) / (1 - c));
  }

  static int masks(TokenBatch t) {
    int n = 0;
    for (int id : t.ids()) {
      n += id == MASK ? 1 : 0;
    }
    return n;
  }

  @Test
  void topOneAndEveryProposalAboveTheThresholdAreCommittedInsideTheBlockOnly() {
    // block [0, 4): confidences 0.95, 0.5, 0.92, 0.3; block [4, 8): all 0.99
    double[] c = {0.95, 0.5, 0.92, 0.3, 0.99, 0.99, 0.99, 0.99};
    double[] a = new double[c.length];
    for (int l = 0; l < c.length; l++) {
      a[l] = logitFor(c[l]);
    }
    Designed net = new Designed(a);
    SampleBatch s =
        sampler(8, "threshold", "0.9", "block_length", "4", "proposal", "argmax")
            .sample(net, 1, 8, SPECIALS, new Rng(1));
    int[] second = net.inputs.get(1).ids();
    // step 1: 0 and 2 (>= 0.9) committed; nothing of block 2 although its confidence is 0.99
    assertArrayEquals(new int[] {0, MASK, 2, MASK, MASK, MASK, MASK, MASK}, second);
    // step 2: block 1 has 0.5 and 0.3 open, both < 0.9: only the top-1 (position 1)
    assertArrayEquals(new int[] {0, 1, 2, MASK, MASK, MASK, MASK, MASK}, net.inputs.get(2).ids());
    // step 3 finishes block 1 (position 3); step 4 commits all of block 2 at once
    assertEquals(4, s.nfe());
    assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3}, s.tokens().ids());
  }

  @Test
  void thresholdOneGivesExactlyOneTokenPerStep() {
    int length = 12;
    for (String tau : new String[] {"1", "0.999999999"}) {
      TestDenoisers.Recording net = new TestDenoisers.Recording(V, MASK);
      SampleBatch s =
          sampler(length, "threshold", tau, "block_length", "5")
              .sample(net, 1, length, SPECIALS, new Rng(7));
      assertEquals(length, s.nfe(), "one forward per token");
      for (int i = 0; i < net.inputs.size(); i++) {
        assertEquals(length - i, masks(net.inputs.get(i)), "masks before step " + i);
      }
      for (int id : s.tokens().ids()) {
        assertNotEquals(MASK, id);
      }
    }
  }

  @Test
  void uniformLogitsCommitOneTokenPerStepLeftToRightByBlock() {
    // every confidence is 1/(V-1) < tau: only the top-1 (the first open position on a tie)
    Denoiser net = TestDenoisers.uniform(V, MASK);
    List<int[]> seen = new ArrayList<>();
    Denoiser spy =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return V;
          }

          @Override
          public Logits forward(TokenBatch t, float[] sigma) {
            seen.add(t.ids().clone());
            return net.forward(t, sigma);
          }
        };
    SampleBatch s = sampler(6, "block_length", "3").sample(spy, 1, 6, SPECIALS, new Rng(2));
    assertEquals(6, s.nfe());
    for (int i = 0; i < 6; i++) {
      for (int l = 0; l < 6; l++) {
        assertEquals(l >= i, seen.get(i)[l] == MASK, "step " + i + " position " + l);
      }
    }
  }

  @Test
  void theStepBudgetCapsTheNfe() {
    // T = 4 over 2 blocks of 4: 2 steps per block whatever the confidences (all 1/(V-1))
    SampleBatch s =
        sampler(4, "block_length", "4")
            .sample(TestDenoisers.uniform(V, MASK), 3, 8, SPECIALS, new Rng(3));
    assertEquals(4, s.nfe());
  }

  @Test
  void blocksStartAfterThePromptAndGivenIdsComeBack() {
    Designed net = new Designed(new double[] {9, 9, 9, 9, 9, 9, 9, 9, 9});
    int[] ids = {1, 2, -1, -1, -1, -1, -1, 3, -1};
    Conditioning given = Conditioning.of(ids, 1, 9);
    SampleBatch s =
        sampler(9, "block_length", "3", "proposal", "argmax")
            .sample(net, given, SPECIALS, new Rng(4));
    // block [2, 5) is committed at step 1 (confidence ~1), not position 5
    assertArrayEquals(new int[] {1, 2, 2, 3, 0, MASK, MASK, 3, MASK}, net.inputs.get(1).ids());
    assertEquals(3, s.nfe()); // [2, 5), [5, 8), [8, 9)
    assertEquals(1, s.tokens().ids()[0]);
    assertEquals(3, s.tokens().ids()[7]);
  }

  @Test
  void stopAtEosEndsTheRowAtItsFirstGeneratedEos() {
    // position 1 (token 1 % 4 = 1) ... make position 2 propose EOS: logits favour EOS there
    Denoiser net =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return V;
          }

          @Override
          public Logits forward(TokenBatch t, float[] sigma) {
            float[] out = new float[t.ids().length * V];
            for (int i = 0; i < t.ids().length; i++) {
              out[i * V + (i % t.length() == 2 ? EOS : 0)] = 20f;
            }
            return new Logits(out, t.batch(), t.length(), V);
          }
        };
    SamplerSpec spec =
        new SamplerSpec(12, 1.0, Map.of("predictor", "confidence", "block_length", "4"), true);
    SampleBatch s = new MdlmFamily().newSampler(spec).sample(net, 1, 12, SPECIALS, new Rng(5));
    assertEquals(1, s.nfe());
    assertArrayEquals(
        new int[] {0, 0, EOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS}, s.tokens().ids());
    SampleBatch go = sampler(12, "block_length", "4").sample(net, 1, 12, SPECIALS, new Rng(5));
    assertEquals(3, go.nfe());
    assertEquals(0, go.tokens().ids()[5]);
  }

  @Test
  void samplesDependOnlyOnTheSeedNotOnThreadsOrBatch() throws Exception {
    Sampler s = sampler(10, "threshold", "0.3", "block_length", "4");
    int b = 5;
    int len = 13;
    SampleBatch one =
        new ForkJoinPool(1)
            .submit(
                () -> s.sample(new TestDenoisers.Recording(V, MASK), b, len, SPECIALS, new Rng(11)))
            .get();
    SampleBatch four =
        new ForkJoinPool(4)
            .submit(
                () -> s.sample(new TestDenoisers.Recording(V, MASK), b, len, SPECIALS, new Rng(11)))
            .get();
    assertArrayEquals(one.tokens().ids(), four.tokens().ids());
    assertEquals(one.nfe(), four.nfe());
    Rng[] rows = Conditioning.rowStreams(new Rng(11), b);
    for (int r = 0; r < b; r++) {
      SampleBatch alone =
          s.sample(
              new TestDenoisers.Recording(V, MASK),
              Conditioning.none(1, len),
              SPECIALS,
              new Rng[] {rows[r]},
              null);
      for (int l = 0; l < len; l++) {
        assertEquals(one.tokens().get(r, l), alone.tokens().get(0, l), "row " + r);
      }
      assertTrue(alone.nfe() <= one.nfe());
    }
    SampleBatch other =
        s.sample(new TestDenoisers.Recording(V, MASK), b, len, SPECIALS, new Rng(12));
    assertTrue(!java.util.Arrays.equals(one.tokens().ids(), other.tokens().ids()));
  }

  @Test
  void optionsOutsideTheConfidencePredictorAreRefused() {
    MdlmFamily f = new MdlmFamily();
    InvalidInputException a =
        assertThrows(
            InvalidInputException.class,
            () -> f.newSampler(new SamplerSpec(8, 1.0, Map.of("threshold", "0.9"))));
    assertTrue(a.getMessage().contains("predictor=confidence"), a.getMessage());
    InvalidInputException b =
        assertThrows(
            InvalidInputException.class,
            () ->
                f.newSampler(
                    new SamplerSpec(
                        8, 1.0, Map.of("predictor", "confidence", "noise_removal", "none"))));
    assertTrue(b.getMessage().contains("noise_removal"), b.getMessage());
  }
}
