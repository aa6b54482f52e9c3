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

/**
 * The step listener of {@link DuoSampler}: same samples, one report per step, phases in place. The
 * clock is a deterministic one (every read advances it 1 ns, the network 15 ms), so the phase
 * checks do not depend on the machine's load (with the wall clock, class loading or a busy core
 * made a 3 × 7 update outlast a 15 ms sleep and the test failed at random).
 */
class DuoSamplerTimingTest {
  private static final long SLEEP_MS = 15;

  private static final java.util.concurrent.atomic.AtomicLong NOW =
      new java.util.concurrent.atomic.AtomicLong();

  /** {@link TestNets.Recording} whose forward takes SLEEP_MS on the test clock. */
  private static Denoiser slowNet() {
    TestNets.Recording net = new TestNets.Recording(DuoSamplerTest.V, DuoSamplerTest.MASK);
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return net.vocabSize();
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        NOW.addAndGet(SLEEP_MS * 1_000_000);
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
            ((DuoSampler) sampler)
                .withClock(NOW::incrementAndGet)
                .sample(
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
        for (int i = 0; i < steps.size(); i++) {
          long[] s = steps.get(i);
          assertEquals(i, s[0], what);
          assertTrue(s[1] >= SLEEP_MS * 1_000_000, what + ": the sleep is network time");
          assertTrue(s[2] > 0, what + ": the update takes time");
          assertTrue(s[2] < s[1], what + ": the sleep is not update time");
          assertTrue(s[1] + s[2] <= s[3], what + ": phases lie inside the step");
        }
      }
    }
  }
}
