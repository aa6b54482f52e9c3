package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

class DuoSamplerTest {
  static final int V = 9;
  static final int MASK = 3;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  static Sampler sampler(int steps, double topP, Map<String, String> options) {
    return new DuoFamily().newSampler(new SamplerSpec(steps, topP, options));
  }

  /** The staged draw has the posterior's distribution, with and without top-p on x_θ. */
  @Test
  void oneDrawFollowsTheExactPosterior() {
    float[] logits = {0.3f, -1f, 2f, 50f, 0.7f, -0.2f, 1.1f, -3f, 0.4f}; // mask logit is huge
    double alphaT = 0.35;
    double alphaS = 0.6;
    int n = 200_000;
    for (double topP : new double[] {1.0, 0.8}) {
      for (int zt : new int[] {2, 7, MASK}) {
        double[] x = MaskedSoftmax.softmax(logits, 0, V, MASK, new double[V]);
        TopP.apply(x, 0, V, topP);
        double[] q = DuoMath.posterior(x, 0, V, zt, alphaT, alphaS, new double[V]);
        int[] counts = new int[V];
        Rng rng = new Rng(17);
        double[] buffer = new double[V];
        for (int i = 0; i < n; i++) {
          counts[DuoSampler.draw(logits, 0, V, zt, MASK, alphaT, alphaS, topP, rng, buffer)]++;
        }
        for (int v = 0; v < V; v++) {
          double se = Math.sqrt(q[v] * (1 - q[v]) / n) + 1e-12;
          assertEquals(
              q[v], counts[v] / (double) n, 5 * se, "top-p " + topP + " zt " + zt + " v " + v);
        }
      }
    }
  }

  @Test
  void nfeIsTPlusOneAndSigmaFollowsTheGrid() {
    LogLinearSchedule sched = new LogLinearSchedule();
    for (String removal : new String[] {"ancestral", "greedy", "none"}) {
      TestNets.Recording net = new TestNets.Recording(V, MASK);
      int steps = 5;
      SampleBatch s =
          sampler(steps, 1, Map.of("noise_removal", removal))
              .sample(net, 3, 6, SPECIALS, new Rng(4));
      int expected = removal.equals("none") ? steps : steps + 1;
      assertEquals(expected, s.nfe());
      assertEquals(expected, net.inputs.size());
      double dt = (1 - DuoSampler.T_MIN) / steps;
      for (int i = 0; i < expected; i++) {
        double t = i == steps ? DuoSampler.T_MIN : 1 - i * dt;
        for (float sigma : net.sigmas.get(i)) {
          assertEquals((float) sched.sigma(t), sigma, 0f, "step " + i);
        }
      }
      if (!removal.equals("none")) {
        for (int id : s.tokens().ids()) {
          assertNotEquals(MASK, id);
        }
      }
    }
  }

  @Test
  void greedyTailIsTheArgmaxOfTheLastForward() {
    TestNets.Recording net = new TestNets.Recording(V, MASK);
    SampleBatch s =
        sampler(4, 1, Map.of("greedy_tail", "true")).sample(net, 2, 7, SPECIALS, new Rng(8));
    Logits last = net.outputs.get(net.outputs.size() - 1);
    for (int b = 0; b < 2; b++) {
      for (int l = 0; l < 7; l++) {
        int best = -1;
        for (int v = 0; v < V; v++) {
          if (v != MASK && (best < 0 || last.get(b, l, v) > last.get(b, l, best))) {
            best = v;
          }
        }
        assertEquals(best, s.tokens().get(b, l));
      }
    }
    // the last forward saw the state after T ancestral steps, at sigma(t0)
    assertEquals(5, net.inputs.size());
  }

  /**
   * The sampler (x_θ(z_t) of all positions first, in parallel; then the draws row by row) gives the
   * same ids as a sequential replay of the spec's loop with the per-position {@link
   * DuoSampler#draw} on the same logits and row streams.
   */
  @Test
  void samplesEqualASequentialReplayOfThePerPositionDraw() {
    int steps = 5;
    int batch = 3;
    int length = 7;
    for (String removal : new String[] {"ancestral", "greedy"}) {
      TestNets.Recording net = new TestNets.Recording(V, MASK);
      SampleBatch s =
          sampler(steps, 1, Map.of("noise_removal", removal))
              .sample(net, batch, length, SPECIALS, new Rng(8));
      Rng rng = new Rng(8);
      Rng[] rows = new Rng[batch];
      for (int b = 0; b < batch; b++) {
        rows[b] = rng.split();
      }
      int[] x = new int[batch * length];
      for (int j = 0; j < x.length; j++) {
        x[j] = rows[j / length].nextInt(V);
      }
      DuoReplay.replay(net, x, rows, steps, removal, length, null, V, MASK);
      assertArrayEquals(x, s.tokens().ids(), removal);
    }
  }

  @Test
  void samplesDependOnlyOnTheSeedNotOnThreads() throws Exception {
    for (double topP : new double[] {0.9, 1.0}) {
      int[][] out = new int[3][];
      int[] threads = {1, 2, 5};
      for (int i = 0; i < threads.length; i++) {
        ForkJoinPool pool = new ForkJoinPool(threads[i]);
        try {
          out[i] =
              pool.submit(
                      () ->
                          sampler(6, topP, Map.of())
                              .sample(new TestNets.Recording(V, MASK), 4, 5, SPECIALS, new Rng(21))
                              .tokens()
                              .ids())
                  .get();
        } finally {
          pool.shutdown();
        }
      }
      assertArrayEquals(out[0], out[1], "top-p " + topP);
      assertArrayEquals(out[0], out[2], "top-p " + topP);
      int[] other =
          sampler(6, topP, Map.of())
              .sample(new TestNets.Recording(V, MASK), 4, 5, SPECIALS, new Rng(22))
              .tokens()
              .ids();
      assertTrue(!java.util.Arrays.equals(out[0], other));
    }
  }

  @Test
  void rejectsBadOptions() {
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("predictor", "x")));
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("noise_removal", "x")));
    assertThrows(InvalidInputException.class, () -> sampler(4, 1, Map.of("greedy_tail", "yes")));
    assertThrows(
        InvalidInputException.class,
        () -> sampler(4, 1, Map.of("greedy_tail", "true", "noise_removal", "none")));
    assertThrows(InvalidInputException.class, () -> sampler(0, 1, Map.of()));
    assertEquals(
        DuoSampler.NoiseRemoval.GREEDY,
        ((DuoSampler) sampler(4, 1, Map.of("noise_removal", "greedy"))).noiseRemoval());
    assertEquals(
        DuoSampler.NoiseRemoval.ANCESTRAL, ((DuoSampler) sampler(4, 1, Map.of())).noiseRemoval());
  }
}
