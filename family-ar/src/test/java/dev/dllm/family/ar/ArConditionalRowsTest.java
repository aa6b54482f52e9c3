package dev.dllm.family.ar;

import static dev.dllm.family.ar.ArConditionalFixtures.BOS;
import static dev.dllm.family.ar.ArConditionalFixtures.MASK;
import static dev.dllm.family.ar.ArConditionalFixtures.SPECIALS;
import static dev.dllm.family.ar.ArConditionalFixtures.V;
import static dev.dllm.family.ar.ArConditionalFixtures.prompts;
import static dev.dllm.family.ar.ArConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * Conditional AR sampling, issue 16: no conditioning is the old sampler; batched rows equal rows
 * alone.
 */
class ArConditionalRowsTest {
  /** The pre-issue-16 unconditional loop (BOS, then next() per position), kept as an oracle. */
  static int[] legacySample(Denoiser d, int batch, int length, Rng rng) {
    Rng[] rows = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = rng.split();
    }
    int[] x = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      x[b * length] = BOS;
    }
    try (KvCacheDecoder decoder = d.kvCacheDecoder(batch).orElseThrow()) {
      int[] fed = new int[batch];
      for (int i = 0; i < length - 1; i++) {
        for (int b = 0; b < batch; b++) {
          fed[b] = x[b * length + i];
        }
        Logits logits = decoder.next(fed);
        for (int b = 0; b < batch; b++) {
          x[b * length + i + 1] =
              Categorical.sampleLogits(
                  logits.values(), logits.offset(b, 0), V, MASK, rows[b], new double[V]);
        }
      }
    }
    return x;
  }

  @Test
  void unconditionalIsConditioningNoneAndUnchanged() {
    float[][] table = ArSamplerTest.randomTable(7);
    int batch = 6;
    int length = 11;
    for (boolean cache : new boolean[] {true, false}) {
      Sampler sampler = sampler(1, cache, false);
      SampleBatch plain =
          sampler.sample(new BigramDenoiser(table, true), batch, length, SPECIALS, new Rng(13));
      SampleBatch none =
          sampler.sample(
              new BigramDenoiser(table, true),
              Conditioning.none(batch, length),
              SPECIALS,
              Conditioning.rowStreams(new Rng(13), batch),
              null);
      assertArrayEquals(plain.tokens().ids(), none.tokens().ids());
      assertEquals(length - 1, plain.nfe());
      assertEquals(length - 1, none.nfe());
      assertArrayEquals(
          legacySample(new BigramDenoiser(table, true), batch, length, new Rng(13)),
          plain.tokens().ids(),
          "samples changed for the same seed, kv_cache=" + cache);
    }
  }

  @Test
  void batchedRowsWithDifferentPromptsEqualRowsAloneAtAnyThreadCount() throws Exception {
    float[][] table = ArSamplerTest.randomTable(8);
    int length = 12;
    Conditioning given = prompts(length, 21, 0, 3, 1, 7, 11, 2, 5);
    for (double topP : new double[] {1, 0.8}) {
      for (boolean cache : new boolean[] {true, false}) {
        Sampler sampler = sampler(topP, cache, false);
        int[][] byThreads = new int[2][];
        for (int t = 0; t < 2; t++) {
          ForkJoinPool pool = new ForkJoinPool(t + 1);
          try {
            byThreads[t] =
                pool.submit(
                        () ->
                            sampler
                                .sample(
                                    new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
                                .tokens()
                                .ids())
                    .get();
          } finally {
            pool.shutdown();
          }
        }
        assertArrayEquals(byThreads[0], byThreads[1], "1 vs 2 threads");
        int[] batched = byThreads[0];
        Rng[] rows = Conditioning.rowStreams(new Rng(4), given.batch());
        for (int b = 0; b < given.batch(); b++) {
          Conditioning one = given.row(b);
          SampleBatch alone =
              sampler.sample(
                  new BigramDenoiser(table, true), one, SPECIALS, new Rng[] {rows[b]}, null);
          assertArrayEquals(
              Arrays.copyOfRange(batched, b * length, (b + 1) * length),
              alone.tokens().ids(),
              "row " + b + " topP " + topP + " cache " + cache);
          assertEquals(length - Math.max(1, one.prefixLength(0)), alone.nfe());
          for (int l = 0; l < length; l++) {
            if (one.isGiven(0, l)) {
              assertEquals(one.id(0, l), batched[b * length + l], "given id at " + l);
            } else {
              assertTrue(batched[b * length + l] != MASK);
            }
          }
          if (!one.isGiven(0, 0)) {
            assertEquals(BOS, batched[b * length]);
          }
        }
      }
    }
    // KV cache and full forwards give the same conditional samples
    assertArrayEquals(
        sampler(1, true, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
            .tokens()
            .ids(),
        sampler(1, false, false)
            .sample(new BigramDenoiser(table, true), given, SPECIALS, new Rng(4))
            .tokens()
            .ids());
  }
}
