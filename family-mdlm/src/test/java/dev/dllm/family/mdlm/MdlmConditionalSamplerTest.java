package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The semantics of conditional MDLM sampling (prompts, gaps, semi-AR) and its errors. */
class MdlmConditionalSamplerTest {
  static final int V = 9;
  static final int MASK = 4;
  static final int L = 12;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  static Sampler sampler(int steps, double topP, String predictor, String... more) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", predictor);
    for (int i = 0; i < more.length; i += 2) {
      o.put(more[i], more[i + 1]);
    }
    return new MdlmFamily().newSampler(new SamplerSpec(steps, topP, o));
  }

  static int id(int i) {
    return i % V == MASK ? 0 : i % V;
  }

  /** Rows with prompts of 0, 1, 3 and 6 tokens, a suffix-and-gaps row, and a fully given row. */
  static Conditioning mixed(int length) {
    List<Conditioning> rows = new ArrayList<>();
    for (int n : new int[] {0, 1, 3, 6}) {
      int[] p = new int[n];
      for (int i = 0; i < n; i++) {
        p[i] = id(i * 5 + n);
      }
      rows.add(Conditioning.prefixes(List.of(p), length));
    }
    int[] gaps = new int[length];
    Arrays.fill(gaps, Conditioning.FREE);
    gaps[0] = 3;
    gaps[1] = 7;
    gaps[length / 2] = 8;
    gaps[length - 1] = 1;
    rows.add(Conditioning.of(gaps, 1, length));
    int[] all = new int[length];
    for (int l = 0; l < length; l++) {
      all[l] = id(l + 2);
    }
    rows.add(Conditioning.of(all, 1, length));
    return Conditioning.stack(rows);
  }

  static void assertHonoured(Conditioning given, TokenBatch out) {
    assertEquals(given.batch(), out.batch());
    assertEquals(given.length(), out.length());
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < given.length(); l++) {
        int id = out.get(b, l);
        assertNotEquals(MASK, id, "mask left at " + b + ", " + l);
        assertTrue(id >= 0 && id < V);
        if (given.isGiven(b, l)) {
          assertEquals(given.id(b, l), id, "given id changed at row " + b + ", position " + l);
        }
      }
    }
  }

  /**
   * Same samples per seed as before conditioning existed (hashes of the samples recorded from the
   * sampler of commit 396410c: predictor, top-p, strides, T, hash, NFE), through both entry points:
   * the unconditional sampler, and {@code Conditioning.none} with {@code Conditioning.rowStreams}.
   */
  @Test
  void unconditionalSamplesArePinnedAndEqualConditioningNone() {
    String[] pinned = {
      "ancestral 1.0 0 1 -1059849244 2",
      "ancestral 1.0 0 5 1311796255 6",
      "ancestral 1.0 0 16 2009416917 17",
      "ancestral 1.0 3 1 -5673232 8",
      "ancestral 1.0 3 5 1964141024 24",
      "ancestral 1.0 3 16 1350005795 68",
      "ancestral 0.8 0 1 1114689691 2",
      "ancestral 0.8 0 5 -768152113 6",
      "ancestral 0.8 0 16 1268726397 17",
      "ancestral 0.8 3 1 1114436810 8",
      "ancestral 0.8 3 5 -1525050597 24",
      "ancestral 0.8 3 16 2054242709 68",
      "ancestral_cache 1.0 0 1 -1059849244 2",
      "ancestral_cache 1.0 0 5 1311796255 6",
      "ancestral_cache 1.0 0 16 2009416917 13",
      "ancestral_cache 1.0 3 1 -5673232 8",
      "ancestral_cache 1.0 3 5 1964141024 23",
      "ancestral_cache 1.0 3 16 1350005795 38",
      "ancestral_cache 0.8 0 1 1114689691 2",
      "ancestral_cache 0.8 0 5 -768152113 6",
      "ancestral_cache 0.8 0 16 1268726397 13",
      "ancestral_cache 0.8 3 1 1114436810 8",
      "ancestral_cache 0.8 3 5 -1525050597 23",
      "ancestral_cache 0.8 3 16 2054242709 38",
      "fixed_count 1.0 0 1 -1192788320 1",
      "fixed_count 1.0 0 5 -1644120493 5",
      "fixed_count 1.0 0 16 -1474508796 8",
      "fixed_count 1.0 3 1 1662176778 4",
      "fixed_count 1.0 3 5 950670601 14",
      "fixed_count 1.0 3 16 -1837148895 17",
      "fixed_count 0.8 0 1 -1414042525 1",
      "fixed_count 0.8 0 5 -1497808417 5",
      "fixed_count 0.8 0 16 -1465883742 8",
      "fixed_count 0.8 3 1 703167116 4",
      "fixed_count 0.8 3 5 1025294085 14",
      "fixed_count 0.8 3 16 -1074743803 17",
    };
    for (String line : pinned) {
      String[] f = line.split(" ");
      String[] more =
          f[2].equals("0") ? new String[0] : new String[] {"strides", f[2], "stride_length", "3"};
      int steps = Integer.parseInt(f[3]);
      Sampler s = sampler(steps, Double.parseDouble(f[1]), f[0], more);
      SampleBatch plain =
          s.sample(new TestDenoisers.Recording(V, MASK), 3, 8, SPECIALS, new Rng(steps * 7 + 11));
      assertEquals(f[4], "" + Arrays.hashCode(plain.tokens().ids()), line + ": samples");
      assertEquals(f[5], "" + plain.nfe(), line + ": NFE");
      int total = 8 + Integer.parseInt(f[2]) * 3;
      SampleBatch none =
          s.sample(
              new TestDenoisers.Recording(V, MASK),
              Conditioning.none(3, total),
              SPECIALS,
              Conditioning.rowStreams(new Rng(steps * 7 + 11), 3),
              null);
      assertArrayEquals(plain.tokens().ids(), none.tokens().ids(), line + ": Conditioning.none");
      assertEquals(plain.nfe(), none.nfe(), line + ": NFE of Conditioning.none");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ancestral", "ancestral_cache", "fixed_count"})
  void givenIdsComeBackVerbatimAndTheNetworkSeesThemCleanFromTheStart(String predictor) {
    Conditioning given = mixed(L);
    for (double topP : new double[] {1, 0.7}) {
      TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
      SampleBatch s =
          sampler(6, topP, predictor)
              .sample(d, given, SPECIALS, Conditioning.rowStreams(new Rng(3), given.batch()), null);
      assertHonoured(given, s.tokens());
      assertEquals(d.inputs.size(), s.nfe());
      // z_T: the given ids, MASK exactly at the free positions; given ids in every later input
      assertArrayEquals(given.fill(new int[given.batch() * L], MASK), d.inputs.get(0).ids());
      for (TokenBatch in : d.inputs) {
        for (int b = 0; b < given.batch(); b++) {
          for (int l = 0; l < L; l++) {
            if (given.isGiven(b, l)) {
              assertEquals(given.id(b, l), in.get(b, l));
            }
          }
        }
      }
      MdlmSamplerTest.assertCopyThrough(d, s.tokens());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ancestral", "ancestral_cache", "fixed_count"})
  void batchedRowsEqualRowsOneByOneAtAnyThreadCount(String predictor) throws Exception {
    for (String[] more : new String[][] {{}, {"strides", "2", "stride_length", "3"}}) {
      int total = L + (more.length == 0 ? 0 : 6);
      Conditioning given = mixed(total);
      Sampler s = sampler(5, 0.9, predictor, more);
      int[][] byThreads = new int[3][];
      int[] threads = {1, 2, 5};
      for (int i = 0; i < threads.length; i++) {
        ForkJoinPool pool = new ForkJoinPool(threads[i]);
        try {
          byThreads[i] =
              pool.submit(
                      () ->
                          s.sample(
                              new TestDenoisers.Recording(V, MASK),
                              given,
                              SPECIALS,
                              Conditioning.rowStreams(new Rng(11), given.batch()),
                              null))
                  .get()
                  .tokens()
                  .ids();
        } finally {
          pool.shutdown();
        }
      }
      String what = predictor + " " + Arrays.toString(more);
      assertArrayEquals(byThreads[0], byThreads[1], "1 vs 2 threads, " + what);
      assertArrayEquals(byThreads[0], byThreads[2], "1 vs 5 threads, " + what);
      assertHonoured(given, new TokenBatch(byThreads[0], given.batch(), total));
      Rng[] rows = Conditioning.rowStreams(new Rng(11), given.batch());
      for (int b = 0; b < given.batch(); b++) {
        SampleBatch alone =
            s.sample(
                new TestDenoisers.Recording(V, MASK),
                given.row(b),
                SPECIALS,
                new Rng[] {rows[b]},
                null);
        assertArrayEquals(
            Arrays.copyOfRange(byThreads[0], b * total, (b + 1) * total),
            alone.tokens().ids(),
            "row " + b + " alone differs, " + what);
      }
    }
  }

  /** fixed_count counts only the free positions of each row: with T = M one unmasking per step. */
  @Test
  void fixedCountCountsOnlyFreeMasks() {
    int[] prompt = {2, 3, 5, 6, 7};
    Conditioning given = Conditioning.prefixes(List.of(prompt, prompt), L);
    int free = L - prompt.length;
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    SampleBatch s =
        sampler(free, 1, "fixed_count")
            .sample(d, given, SPECIALS, Conditioning.rowStreams(new Rng(1), 2), null);
    assertHonoured(given, s.tokens());
    assertEquals(free, s.nfe());
    for (int i = 0; i < free; i++) {
      assertEquals(2 * (free - i), MdlmSamplerTest.masks(d.inputs.get(i)), "step " + i);
    }
    // rows with different numbers of free positions: each row spreads its own M over the T steps
    Conditioning uneven =
        Conditioning.prefixes(List.of(new int[] {2}, new int[] {2, 3, 5, 6, 7, 8, 0, 2, 3}), L);
    TestDenoisers.Recording e = new TestDenoisers.Recording(V, MASK);
    s =
        sampler(L - 1, 1, "fixed_count")
            .sample(e, uneven, SPECIALS, Conditioning.rowStreams(new Rng(1), 2), null);
    assertHonoured(uneven, s.tokens());
    assertEquals(L - 1, s.nfe());
    int[] before = {L - 1, L - 9};
    for (int i = 0; i < e.inputs.size(); i++) {
      for (int b = 0; b < 2; b++) {
        int m = 0;
        for (int l = 0; l < L; l++) {
          m += e.inputs.get(i).get(b, l) == MASK ? 1 : 0;
        }
        long want = before[b] - (long) i * before[b] / (L - 1);
        assertEquals(want, m, "row " + b + ", step " + i);
      }
    }
  }

  /**
   * Semi-AR: block L = 8, 3 strides of 4 (rows of 20), a prompt of 11 tokens, longer than the
   * block. Block 0 (positions 0..7) is fully given and costs no forward; the first network input is
   * the window 4..11 with 4..10 given and 11 masked; a given id in the last stride is honoured.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ancestral", "ancestral_cache", "fixed_count"})
  void semiAutoregressiveContinuesAPromptLongerThanOneBlock(String predictor) {
    int block = 8;
    int stride = 4;
    int total = block + 3 * stride;
    int[] prompt = {2, 3, 5, 6, 7, 8, 0, 2, 3, 5, 6};
    int[] suffixed = new int[total];
    Arrays.fill(suffixed, Conditioning.FREE);
    System.arraycopy(prompt, 0, suffixed, 0, prompt.length);
    suffixed[total - 1] = 1; // e.g. an EOS at the end of the last stride
    Conditioning given =
        Conditioning.stack(
            List.of(
                Conditioning.prefixes(List.of(prompt), total),
                Conditioning.of(suffixed, 1, total)));
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    SampleBatch s =
        sampler(block, 1, predictor, "strides", "3", "stride_length", "" + stride)
            .sample(d, given, SPECIALS, Conditioning.rowStreams(new Rng(5), 2), null);
    assertHonoured(given, s.tokens());
    assertEquals(d.inputs.size(), s.nfe());
    TokenBatch first = d.inputs.get(0);
    for (int b = 0; b < 2; b++) {
      for (int l = 0; l < block; l++) {
        int want = 4 + l < prompt.length ? prompt[4 + l] : MASK;
        assertEquals(want, first.get(b, l), "first input, row " + b + ", position " + l);
      }
    }
    switch (predictor) {
      case "ancestral" -> assertEquals(3 * (block + 1), s.nfe(), "block 0 skipped, 3 × (T + 1)");
      // a forward per step in which some row unmasks: stride 1 M = 1 (1 step); stride 2 M = 4
      // (steps 1, 3, 5, 7 of 8); stride 3 M = 4 and 3 (steps 1, 3, 5, 7 and 2, 5, 7)
      case "fixed_count" -> assertEquals(1 + 4 + 5, s.nfe(), "one forward per unmasking step");
      default -> assertTrue(s.nfe() >= 3 && s.nfe() <= 3 * (block + 1), "NFE " + s.nfe());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ancestral", "ancestral_cache", "fixed_count"})
  void fullyGivenRowsCostNoForward(String predictor) {
    int[] ids = new int[2 * L];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = id(i);
    }
    Conditioning given = Conditioning.of(ids, 2, L);
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    SampleBatch s =
        sampler(4, 1, predictor)
            .sample(d, given, SPECIALS, Conditioning.rowStreams(new Rng(5), 2), null);
    assertArrayEquals(ids, s.tokens().ids());
    assertEquals(0, s.nfe());
    assertEquals(0, d.inputs.size());
  }

  @Test
  void badConditioningIsRefused() {
    Sampler s = sampler(4, 1, "ancestral_cache");
    TestDenoisers.Recording d = new TestDenoisers.Recording(V, MASK);
    Rng[] one = {new Rng(1)};
    int[] ids = new int[L];
    Arrays.fill(ids, Conditioning.FREE);
    ids[3] = MASK;
    Conditioning givenMask = Conditioning.of(ids, 1, L);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> s.sample(d, givenMask, SPECIALS, one, null));
    assertTrue(
        e.getMessage().contains("MASK") && e.getMessage().contains("position 3"), e.getMessage());
    ids[3] = V;
    Conditioning outside = Conditioning.of(ids, 1, L);
    e = assertThrows(InvalidInputException.class, () -> s.sample(d, outside, SPECIALS, one, null));
    assertTrue(e.getMessage().contains("vocabulary"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> s.sample(d, Conditioning.none(2, L), SPECIALS, one, null));
    SpecialTokens noMask = new SpecialTokens(0, 1, -1, -1);
    assertThrows(
        InvalidInputException.class, () -> s.sample(d, Conditioning.none(1, L), noMask, one, null));
    // semi-AR: a row of 10 with 2 strides of 4 leaves a block of 2 <= stride_length
    Sampler semi = sampler(4, 1, "fixed_count", "strides", "2", "stride_length", "4");
    e =
        assertThrows(
            InvalidInputException.class,
            () -> semi.sample(d, Conditioning.none(1, 10), SPECIALS, one, null));
    assertTrue(e.getMessage().contains("block"), e.getMessage());
    assertTrue(s.supportsInfill());
    assertEquals(0, d.inputs.size(), "refused before any forward");
  }
}
