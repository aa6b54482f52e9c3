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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.schedule.LogLinearSchedule;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Duo's conditional sampler (issue 16): the prompt_sigma option and rowSigma. */
class DuoPromptSigmaTest {
  /**
   * prompt_sigma=effective: each row's sigma is −log((P + (L − P) alpha_t)/L) for its P given
   * positions (s-sahoo/duo's harness recomputes alpha_t from the clean fraction), the schedule's
   * sigma(t) exactly for a row with nothing given; prompt_sigma=schedule (and the default) feeds
   * sigma(t) to every row.
   */
  @Test
  void effectivePromptSigmaIsPerRowAndScheduleOtherwise() {
    Conditioning given = mixed();
    LogLinearSchedule sched = new LogLinearSchedule();
    int steps = 5;
    double dt = (1 - DuoSampler.T_MIN) / steps;
    for (String mode : new String[] {"effective", "schedule", null}) {
      TestNets.Recording net = new TestNets.Recording(V, MASK);
      Map<String, String> opts = mode == null ? Map.of() : Map.of("prompt_sigma", mode);
      sampler(steps, 1.0, opts)
          .sample(net, given, SPECIALS, Conditioning.rowStreams(new Rng(5), 5), null);
      assertEquals(steps + 1, net.sigmas.size());
      boolean effective = "effective".equals(mode);
      for (int i = 0; i <= steps; i++) {
        double t = i == steps ? DuoSampler.T_MIN : 1 - i * dt;
        float[] sigma = net.sigmas.get(i);
        for (int b = 0; b < given.batch(); b++) {
          int p = given.givenCount(b);
          String what = mode + ", step " + i + ", row " + b + " (" + p + " given)";
          if (!effective || p == 0) {
            assertEquals((float) sched.sigma(t), sigma[b], 0f, what);
          } else {
            double alphaEff = (p + (L - p) * sched.alpha(t)) / L;
            assertEquals(-Math.log(alphaEff), sigma[b], 1e-6 * (1 + Math.abs(sigma[b])), what);
            assertTrue(sigma[b] < (float) sched.sigma(t) || i == steps, what); // less noisy
          }
        }
      }
    }
  }

  /** With nothing given, prompt_sigma=effective is the unconditional sampler bit for bit. */
  @Test
  void effectivePromptSigmaLeavesUnconditionalSamplesUnchanged() {
    for (String removal : REMOVALS) {
      TestNets.Recording a = new TestNets.Recording(V, MASK);
      TestNets.Recording b = new TestNets.Recording(V, MASK);
      SampleBatch sa =
          sampler(6, 1.0, Map.of("noise_removal", removal)).sample(a, 4, L, SPECIALS, new Rng(11));
      SampleBatch sb =
          sampler(6, 1.0, Map.of("noise_removal", removal, "prompt_sigma", "effective"))
              .sample(b, 4, L, SPECIALS, new Rng(11));
      assertArrayEquals(sa.tokens().ids(), sb.tokens().ids(), removal);
      assertEquals(a.sigmas.size(), b.sigmas.size(), removal);
      for (int i = 0; i < a.sigmas.size(); i++) {
        assertArrayEquals(a.sigmas.get(i), b.sigmas.get(i), removal + ", step " + i);
      }
    }
  }

  /** rowSigma: sigma(t) itself with nothing given, 0 for a fully given row; bad values refused. */
  @Test
  void rowSigmaEdgesAndOptionValues() {
    double s = 2.75;
    assertEquals(s, DuoSampler.rowSigma(DuoSampler.PromptSigma.EFFECTIVE, s, 0, L), 0.0);
    assertEquals(s, DuoSampler.rowSigma(DuoSampler.PromptSigma.SCHEDULE, s, 3, L), 0.0);
    assertEquals(0.0, DuoSampler.rowSigma(DuoSampler.PromptSigma.EFFECTIVE, s, L, L), 0.0);
    assertEquals(
        -Math.log((4 + 4 * Math.exp(-s)) / 8),
        DuoSampler.rowSigma(DuoSampler.PromptSigma.EFFECTIVE, s, 4, L),
        1e-15);
    // tiny sigma (t near 0): stable, no cancellation; −log(1 − (1 − e^−s)/2) = s/2 − s²/8 + O(s³)
    assertEquals(
        0.5e-9 - 0.125e-18,
        DuoSampler.rowSigma(DuoSampler.PromptSigma.EFFECTIVE, 1e-9, 4, L),
        1e-24);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> sampler(3, 1.0, Map.of("prompt_sigma", "clean")));
    assertTrue(e.getMessage().contains("schedule or effective"), e.getMessage());
    assertEquals(
        DuoSampler.PromptSigma.EFFECTIVE,
        ((DuoSampler) sampler(3, 1.0, Map.of("prompt_sigma", " Effective "))).promptSigma());
    assertEquals(
        DuoSampler.DEFAULT_PROMPT_SIGMA, ((DuoSampler) sampler(3, 1.0, Map.of())).promptSigma());
  }
}
