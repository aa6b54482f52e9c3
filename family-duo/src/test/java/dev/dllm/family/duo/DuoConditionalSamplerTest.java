package dev.dllm.family.duo;

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
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** Duo's clamped conditional sampler (issue 16) on small deterministic networks. */
class DuoConditionalSamplerTest {
  static final int V = 9;
  static final int MASK = 3;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);
  static final int L = 8;

  static Sampler sampler(int steps, double topP, Map<String, String> options) {
    return new DuoFamily().newSampler(new SamplerSpec(steps, topP, options));
  }

  /** Rows with prompts of 0, 1, 3 and 6 tokens (no mask id), then a row with gaps. */
  static Conditioning mixed() {
    List<int[]> prompts =
        List.of(new int[0], new int[] {5}, new int[] {2, 8, 0}, new int[] {7, 7, 1, 4, 6, 2});
    int[] gaps = new int[L];
    Arrays.fill(gaps, Conditioning.FREE);
    gaps[0] = 4;
    gaps[1] = 5;
    gaps[4] = 8;
    gaps[7] = 1; // prefix 2, gap 2, one given, gap 2, one given at the end
    return Conditioning.stack(
        List.of(Conditioning.prefixes(prompts, L), Conditioning.of(gaps, 1, L)));
  }

  static final String[] REMOVALS = {"ancestral", "greedy", "none"};

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

  /** Nothing given with rowStreams(rng, B) is the unconditional sampler, step reports included. */
  @Test
  void emptyConditioningIsTheUnconditionalSampler() {
    for (double topP : new double[] {1.0, 0.9}) {
      for (String removal : REMOVALS) {
        Sampler sampler = sampler(6, topP, Map.of("noise_removal", removal));
        List<Integer> plainSteps = new ArrayList<>();
        List<Integer> noneSteps = new ArrayList<>();
        SampleBatch plain =
            sampler.sample(
                new TestNets.Recording(V, MASK),
                4,
                L,
                SPECIALS,
                new Rng(31),
                (step, n, u, all) -> plainSteps.add(step));
        SampleBatch none =
            sampler.sample(
                new TestNets.Recording(V, MASK),
                Conditioning.none(4, L),
                SPECIALS,
                Conditioning.rowStreams(new Rng(31), 4),
                (step, n, u, all) -> noneSteps.add(step));
        assertArrayEquals(plain.tokens().ids(), none.tokens().ids(), removal + " " + topP);
        assertEquals(plain.nfe(), none.nfe());
        assertEquals(plainSteps, noneSteps);
        assertEquals(plain.nfe(), plainSteps.size());
        SampleBatch viaRng =
            sampler.sample(
                new TestNets.Recording(V, MASK), Conditioning.none(4, L), SPECIALS, new Rng(31));
        assertArrayEquals(plain.tokens().ids(), viaRng.tokens().ids());
      }
    }
  }

  /**
   * The sampler (bounded fast path, rows in parallel) equals a sequential replay of the spec's loop
   * that clamps the given ids, draws the prior only at free positions and redraws only free
   * positions with the exact per-position {@link DuoSampler#draw}, from the row's own stream.
   */
  @Test
  void freePositionsEqualASequentialReplayThatSkipsGivenOnes() {
    LogLinearSchedule sched = new LogLinearSchedule();
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
      double dt = (1 - DuoSampler.T_MIN) / steps;
      for (int i = 0; i <= steps; i++) {
        boolean last = i == steps;
        double t = last ? DuoSampler.T_MIN : 1 - i * dt;
        double alphaT = sched.alpha(t);
        double alphaS = last ? 1 : sched.alpha(i == steps - 1 ? DuoSampler.T_MIN : t - dt);
        assertArrayEquals(x, net.inputs.get(i).ids(), removal + " step " + i);
        Logits logits = net.outputs.get(i);
        for (int j = 0; j < x.length; j++) {
          int b = j / L;
          int l = j % L;
          if (given.isGiven(b, l)) {
            continue;
          }
          x[j] =
              last && removal.equals("greedy")
                  ? DuoSampler.argmax(logits, b, l, MASK)
                  : DuoSampler.draw(
                      logits.values(),
                      logits.offset(b, l),
                      V,
                      x[j],
                      MASK,
                      alphaT,
                      alphaS,
                      1.0,
                      rows[b],
                      new double[V]);
        }
      }
      assertArrayEquals(x, s.tokens().ids(), removal);
    }
  }

  /** Rows with different prompts batched together equal the same rows sampled one by one. */
  @Test
  void batchedRowsEqualRowsSampledOneByOne() {
    Conditioning given = mixed();
    for (double topP : new double[] {1.0, 0.85}) {
      Sampler sampler = sampler(4, topP, Map.of());
      SampleBatch batched =
          sampler.sample(
              new TestNets.Recording(V, MASK),
              given,
              SPECIALS,
              Conditioning.rowStreams(new Rng(77), given.batch()),
              null);
      Rng[] rows = Conditioning.rowStreams(new Rng(77), given.batch());
      for (int b = 0; b < given.batch(); b++) {
        SampleBatch alone =
            sampler.sample(
                new TestNets.Recording(V, MASK), given.row(b), SPECIALS, new Rng[] {rows[b]}, null);
        assertArrayEquals(
            Arrays.copyOfRange(batched.tokens().ids(), b * L, (b + 1) * L),
            alone.tokens().ids(),
            "row " + b + ", top-p " + topP);
      }
    }
  }

  @Test
  void samplesDoNotDependOnTheThreadCount() throws Exception {
    Conditioning given = mixed();
    for (double topP : new double[] {1.0, 0.9}) {
      int[][] out = new int[2][];
      int[] threads = {1, 2};
      for (int i = 0; i < threads.length; i++) {
        ForkJoinPool pool = new ForkJoinPool(threads[i]);
        try {
          out[i] =
              pool.submit(
                      () ->
                          sampler(6, topP, Map.of())
                              .sample(
                                  new TestNets.Recording(V, MASK),
                                  given,
                                  SPECIALS,
                                  Conditioning.rowStreams(new Rng(21), given.batch()),
                                  null)
                              .tokens()
                              .ids())
                  .get();
        } finally {
          pool.shutdown();
        }
      }
      assertArrayEquals(out[0], out[1], "top-p " + topP);
    }
  }

  @Test
  void refusesTheMaskIdOutOfVocabularyIdsAndWrongStreams() {
    Sampler sampler = sampler(3, 1, Map.of());
    TestNets.Recording net = new TestNets.Recording(V, MASK);
    Conditioning masked = Conditioning.prefixes(List.of(new int[] {2, MASK}), L);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> sampler.sample(net, masked, SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(
        e.getMessage().contains("MASK") && e.getMessage().contains("position 1"), e::toString);
    Conditioning outside = Conditioning.prefixes(List.of(new int[] {V}), L);
    e =
        assertThrows(
            InvalidInputException.class,
            () -> sampler.sample(net, outside, SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(e.getMessage().contains("outside the vocabulary"), e::toString);
    assertThrows(
        IllegalArgumentException.class,
        () -> sampler.sample(net, mixed(), SPECIALS, new Rng[] {new Rng(1)}, null));
    assertTrue(net.inputs.isEmpty(), "nothing ran");
    // a tokenizer without a mask id (GPT-2 style, [DUO]): any id in [0, V) may be given
    SpecialTokens noMask = new SpecialTokens(0, 1, -1, -1);
    SampleBatch s =
        sampler.sample(new TestNets.Recording(V, -1), masked, noMask, new Rng[] {new Rng(1)}, null);
    assertEquals(MASK, s.tokens().get(0, 1));
  }

  /** A row given in full is returned as is (the chain runs; nothing is drawn). */
  @Test
  void aFullyGivenRowIsReturnedAsIs() {
    int[] ids = {4, 5, 6, 7, 8, 0, 1, 2};
    Conditioning all = Conditioning.of(ids, 1, L);
    SampleBatch s =
        sampler(3, 1, Map.of())
            .sample(new TestNets.Recording(V, MASK), all, SPECIALS, new Rng[] {new Rng(2)}, null);
    assertArrayEquals(ids, s.tokens().ids());
    assertEquals(4, s.nfe());
  }

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
