package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step listener of {@link DuoSampler}: same samples, one report per step, phases in place. */
class DuoSamplerTimingTest {
  private static final long SLEEP_MS = 15;

  /** {@link TestNets.Recording} that sleeps in every forward, so the network phase is known. */
  private static Denoiser slowNet() {
    TestNets.Recording net = new TestNets.Recording(DuoSamplerTest.V, DuoSamplerTest.MASK);
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return net.vocabSize();
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        try {
          Thread.sleep(SLEEP_MS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        return net.forward(tokens, sigma);
      }
    };
  }

  @Test
  void listenerSeesEveryStepAndDoesNotChangeTheSamples() {
    for (double topP : new double[] {1.0, 0.9}) {
      for (String removal : new String[] {"ancestral", "greedy", "none"}) {
        Sampler sampler =
            new DuoFamily().newSampler(new SamplerSpec(4, topP, Map.of("noise_removal", removal)));
        assertTrue(sampler.reportsSteps());
        SampleBatch plain =
            sampler.sample(
                new TestNets.Recording(DuoSamplerTest.V, DuoSamplerTest.MASK),
                3,
                7,
                DuoSamplerTest.SPECIALS,
                new Rng(5));
        List<long[]> steps = new ArrayList<>();
        SampleBatch timed =
            sampler.sample(
                slowNet(),
                3,
                7,
                DuoSamplerTest.SPECIALS,
                new Rng(5),
                (step, network, update, total) ->
                    steps.add(new long[] {step, network, update, total}));
        String what = "top-p " + topP + ", " + removal;
        assertArrayEquals(plain.tokens().ids(), timed.tokens().ids(), what);
        assertEquals(plain.nfe(), timed.nfe(), what);
        assertEquals(timed.nfe(), steps.size(), what);
        long fastestUpdate = Long.MAX_VALUE;
        for (int i = 0; i < steps.size(); i++) {
          long[] s = steps.get(i);
          assertEquals(i, s[0], what);
          assertTrue(s[1] >= SLEEP_MS * 1_000_000, what + ": the sleep is network time");
          assertTrue(s[2] > 0, what + ": the update takes time");
          assertTrue(s[1] + s[2] <= s[3], what + ": phases lie inside the step");
          fastestUpdate = Math.min(fastestUpdate, s[2]);
        }
        // a sleep counted as update time would make every update >= SLEEP_MS; one update may be
        // descheduled for longer on a loaded machine, so only the fastest is compared
        assertTrue(
            fastestUpdate < SLEEP_MS * 1_000_000,
            what + ": the sleep is not update time (fastest update " + fastestUpdate + " ns)");
      }
    }
  }
}
