package dev.dllm.family.ar;

import static dev.dllm.family.ar.ArConditionalFixtures.BOS;
import static dev.dllm.family.ar.ArConditionalFixtures.EOS;
import static dev.dllm.family.ar.ArConditionalFixtures.SPECIALS;
import static dev.dllm.family.ar.ArConditionalFixtures.V;
import static dev.dllm.family.ar.ArConditionalFixtures.prompts;
import static dev.dllm.family.ar.ArConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Conditional AR sampling, issue 16: rows stop at their first generated EOS. */
class ArStopAtEosTest {
  /** Rows stop at their first generated EOS; the rest is EOS; the call count drops. */
  @Test
  void stopAtEosStopsEarlyAndFillsEos() {
    float[][] table = ArSamplerTest.randomTable(14);
    for (float[] row : table) {
      row[EOS] = 0.5f; // EOS likely enough to end most rows early
    }
    int length = 24;
    int[] ids = prompts(length, 5, 0, 2, 4, 1, 3, 6).ids();
    ids[1 * length + 1] = EOS; // an EOS inside a prompt does not stop the row
    Conditioning given = Conditioning.of(ids, 6, length);
    SampleBatch full =
        sampler(1, true, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(3));
    CountingDenoiser d = new CountingDenoiser(new BigramDenoiser(table, true));
    SampleBatch stop = sampler(1, true, true).sample(d, given, SPECIALS, new Rng(3));
    int last = 0;
    for (int b = 0; b < given.batch(); b++) {
      int start = Math.max(1, given.prefixLength(b));
      int firstEos = -1;
      for (int l = start; l < length && firstEos < 0; l++) {
        if (full.tokens().get(b, l) == EOS) {
          firstEos = l;
        }
      }
      int end = firstEos < 0 ? length - 1 : firstEos;
      last = Math.max(last, end);
      for (int l = 0; l < length; l++) {
        int want = l <= end ? full.tokens().get(b, l) : EOS;
        assertEquals(want, stop.tokens().get(b, l), "row " + b + " position " + l);
      }
    }
    assertTrue(last < length - 1, "the fixture should end every row early, last EOS at " + last);
    assertEquals(last - 1 + 1, stop.nfe()); // positions 1 .. last, one call each
    assertEquals(d.calls(), stop.nfe());
    assertTrue(stop.nfe() < full.nfe());
    assertEquals(length - 1, full.nfe());
    // without the cache: the same samples and calls
    SampleBatch stopFull =
        sampler(1, false, true)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(3));
    assertArrayEquals(stop.tokens().ids(), stopFull.tokens().ids());
    assertEquals(stop.nfe(), stopFull.nfe());
    // a row sampled alone ends the same way
    Rng[] rows = Conditioning.rowStreams(new Rng(3), given.batch());
    for (int b = 0; b < given.batch(); b++) {
      assertArrayEquals(
          Arrays.copyOfRange(stop.tokens().ids(), b * length, (b + 1) * length),
          sampler(1, true, true)
              .sample(
                  new BigramDenoiser(table, true),
                  given.row(b),
                  SPECIALS,
                  new Rng[] {rows[b]},
                  null)
              .tokens()
              .ids());
    }
  }

  @Test
  void deterministicEosEndsAfterOneCall() {
    float[][] table = new float[V][V];
    for (float[] row : table) {
      row[EOS] = 60f; // EOS from every token, with probability 1 - 1e-25
    }
    int length = 9;
    Conditioning given = prompts(length, 2, 0, 3);
    CountingDenoiser d = new CountingDenoiser(new BigramDenoiser(table, true));
    SampleBatch s = sampler(1, true, true).sample(d, given, SPECIALS, new Rng(5));
    // row 0 (BOS) draws EOS at 1; row 1 is teacher-forced to 3 and draws EOS at 3
    assertEquals(3, s.nfe());
    assertEquals(List.of(1), d.prefillCounts);
    assertEquals(2, d.nexts);
    int[] want0 = {BOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS, EOS};
    assertArrayEquals(want0, Arrays.copyOfRange(s.tokens().ids(), 0, length));
    for (int l = 0; l < 3; l++) {
      assertEquals(given.id(1, l), s.tokens().get(1, l));
    }
    for (int l = 3; l < length; l++) {
      assertEquals(EOS, s.tokens().get(1, l));
    }
    // a fully given row has nothing to generate and keeps its ids when the others stop
    int[] ids = {BOS, -1, -1, -1, 2, 3, 4, 0};
    SampleBatch f =
        sampler(1, true, true)
            .sample(
                new BigramDenoiser(table, true), Conditioning.of(ids, 2, 4), SPECIALS, new Rng(5));
    assertArrayEquals(new int[] {BOS, EOS, EOS, EOS, 2, 3, 4, 0}, f.tokens().ids());
    assertEquals(1, f.nfe());
  }
}
