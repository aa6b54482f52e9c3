package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link OnnxKvCacheDecoder#prefill}: a prompt of P tokens per row in one ONNX Runtime call of the
 * decode graph gives the logits of P single-token steps and of the full causal forward, and AR
 * conditional sampling on the tiny export uses it once (issue 16).
 */
class KvPrefillTest {
  static final int B = 2;
  static final int P = 5;

  /** Counts the ONNX Runtime runs at the {@link OrtCalls} seam. */
  static OrtCalls counting(AtomicInteger runs) throws Exception {
    OrtCalls calls = mock(OrtCalls.class, CALLS_REAL_METHODS);
    doAnswer(
            inv -> {
              runs.incrementAndGet();
              return inv.callRealMethod();
            })
        .when(calls)
        .run(any(), anyMap(), anyMap());
    return calls;
  }

  static double maxAbsDiff(Logits a, int aPos, Logits b, int bPos, int batch) {
    double worst = 0;
    for (int r = 0; r < batch; r++) {
      for (int v = 0; v < a.vocab(); v++) {
        worst =
            Math.max(
                worst,
                Math.abs(a.values()[a.offset(r, aPos) + v] - b.values()[b.offset(r, bPos) + v]));
      }
    }
    return worst;
  }

  @Test
  void prefillIsOneCallAndMatchesStepsAndTheFullForward() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    try (OnnxModel m =
        OnnxModel.open(
            OnnxRuntimeTest.fixture("ar-tiny"),
            OrtConfig.defaults().withThreads(1),
            counting(runs))) {
      OnnxDenoiser d = m.denoiser();
      int vocab = d.vocabSize();
      int[] rows = {9, 10, 14, 0, 14, 10, 3, 5, 6, 1, 0, 11}; // [B, P + 1]
      int[] prompt = new int[B * P];
      int[] last = new int[B];
      for (int b = 0; b < B; b++) {
        System.arraycopy(rows, b * (P + 1), prompt, b * P, P);
        last[b] = rows[b * (P + 1) + P];
      }
      Logits full = d.forward(new TokenBatch(rows, B, P + 1), null);

      Logits pre;
      Logits after;
      try (KvCacheDecoder dec = d.kvCacheDecoder(B).orElseThrow()) {
        int before = runs.get();
        pre = dec.prefill(prompt, P);
        assertEquals(1, runs.get() - before, "prefill of " + P + " tokens = one ORT call");
        assertEquals(P, dec.position());
        assertEquals(B, pre.batch());
        assertEquals(P, pre.length());
        assertEquals(vocab, pre.vocab());
        after = dec.next(last);
        assertEquals(P + 1, dec.position());
      }
      Logits[] steps = new Logits[P + 1];
      try (KvCacheDecoder dec = d.kvCacheDecoder(B).orElseThrow()) {
        int before = runs.get();
        for (int i = 0; i <= P; i++) {
          int[] col = new int[B];
          for (int b = 0; b < B; b++) {
            col[b] = rows[b * (P + 1) + i];
          }
          steps[i] = dec.next(col);
        }
        assertEquals(P + 1, runs.get() - before);
      }
      double worst = 0;
      for (int i = 0; i < P; i++) {
        worst = Math.max(worst, maxAbsDiff(pre, i, steps[i], 0, B));
        worst = Math.max(worst, maxAbsDiff(pre, i, full, i, B));
      }
      worst = Math.max(worst, maxAbsDiff(after, 0, steps[P], 0, B));
      worst = Math.max(worst, maxAbsDiff(after, 0, full, P, B));
      assertTrue(worst <= 1e-4, "prefill vs steps vs full forward: max abs diff " + worst);

      // a prefill after a prefill continues the cache (positions P .. P + 1)
      try (KvCacheDecoder dec = d.kvCacheDecoder(B).orElseThrow()) {
        dec.prefill(prompt, P);
        Logits more = dec.prefill(new int[] {last[0], 3, last[1], 4}, 2);
        assertEquals(P + 2, dec.position());
        assertTrue(maxAbsDiff(more, 0, full, P, B) <= 1e-4);
        assertThrows(InvalidInputException.class, () -> dec.prefill(new int[] {1, 2, 3}, 2));
        assertThrows(InvalidInputException.class, () -> dec.prefill(new int[] {1, vocab}, 1));
        assertThrows(InvalidInputException.class, () -> dec.prefill(new int[] {1, vocab, 2, 3}, 2));
      }
    }
  }

  @Test
  void conditionalArSamplingPrefillsThePromptOnceOnTheExport() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    try (OnnxModel m =
        OnnxModel.open(
            OnnxRuntimeTest.fixture("ar-tiny"),
            OrtConfig.defaults().withThreads(1),
            counting(runs))) {
      int length = m.metadata().seqLen();
      assertTrue(length > P + 1);
      Conditioning given =
          Conditioning.prefixes(
              List.of(new int[] {9, 10, 14, 0, 14}, new int[] {3, 5, 6, 1, 0, 11, 2}), length);
      Sampler cached = m.family().newSampler(new SamplerSpec(1, 1.0, Map.of("kv_cache", "true")));
      Sampler plain = m.family().newSampler(new SamplerSpec(1, 1.0, Map.of("kv_cache", "false")));
      int before = runs.get();
      SampleBatch a = cached.sample(m.denoiser(), given, m.metadata().specials(), new Rng(3));
      assertEquals(1 + (length - P - 1), a.nfe());
      assertEquals(a.nfe(), runs.get() - before, "ORT calls = NFE");
      SampleBatch b = plain.sample(m.denoiser(), given, m.metadata().specials(), new Rng(3));
      assertArrayEquals(b.tokens().ids(), a.tokens().ids(), "KV cache vs full forwards");
      assertEquals(a.nfe(), b.nfe());
      for (int r = 0; r < 2; r++) {
        for (int l = 0; l < given.prefixLength(r); l++) {
          assertEquals(given.id(r, l), a.tokens().get(r, l));
        }
      }
    }
  }
}
