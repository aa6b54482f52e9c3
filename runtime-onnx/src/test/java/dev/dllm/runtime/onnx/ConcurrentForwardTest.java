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

import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link OnnxDenoiser#forward} from several threads at once (issue 11 §2): no lock around the run,
 * per-caller buffers, and results bit-identical to the same calls made serially.
 */
class ConcurrentForwardTest {

  @Test
  void concurrentCallsEqualSerialCalls() throws Exception {
    int threads = 8;
    int callsPerThread = 6;
    try (OnnxModel m =
        OnnxModel.open(OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults().withThreads(1))) {
      OnnxDenoiser d = m.denoiser();
      int v = d.vocabSize();
      // distinct inputs per call; shapes B = 1 and 2 interleaved so the pool holds both
      List<TokenBatch> inputs = new ArrayList<>();
      List<float[]> sigmas = new ArrayList<>();
      SplittableRandom r = new SplittableRandom(5);
      for (int i = 0; i < threads * callsPerThread; i++) {
        int b = 1 + i % 2;
        int[] ids = new int[b * 12];
        for (int j = 0; j < ids.length; j++) {
          ids[j] = r.nextInt(v);
        }
        inputs.add(new TokenBatch(ids, b, 12));
        float[] s = new float[b];
        for (int j = 0; j < b; j++) {
          s[j] = (float) r.nextDouble();
        }
        sigmas.add(s);
      }
      List<float[]> serial = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        serial.add(d.forward(inputs.get(i), sigmas.get(i)).values());
      }
      int allocatedSerially = d.buffersAllocated();
      assertTrue(allocatedSerially <= 2, "serial calls reuse one buffer set per shape");

      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      try {
        List<Future<List<float[]>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int first = t * callsPerThread;
          Callable<List<float[]>> task =
              () -> {
                start.await();
                List<float[]> got = new ArrayList<>();
                for (int i = first; i < first + callsPerThread; i++) {
                  Logits l = d.forward(inputs.get(i), sigmas.get(i));
                  got.add(l.values());
                }
                return got;
              };
          futures.add(pool.submit(task));
        }
        start.countDown();
        for (int t = 0; t < threads; t++) {
          List<float[]> got = futures.get(t).get();
          for (int k = 0; k < callsPerThread; k++) {
            assertArrayEquals(serial.get(t * callsPerThread + k), got.get(k), "call " + k);
          }
        }
      } finally {
        pool.shutdownNow();
      }
      // at most one buffer set per concurrent caller and shape was made
      assertTrue(
          d.buffersAllocated() <= allocatedSerially + 2 * threads,
          "allocated " + d.buffersAllocated());
    }
  }

  /**
   * The runs really overlap: every caller waits inside ONNX Runtime's run (at the Mockito seam)
   * until all four are inside at once, which a lock around the run would make impossible.
   */
  @Test
  void runsOverlapWithoutALock() throws Exception {
    int threads = 4;
    CyclicBarrier allInside = new CyclicBarrier(threads);
    AtomicBoolean gate = new AtomicBoolean();
    OrtCalls calls = mock(OrtCalls.class, CALLS_REAL_METHODS);
    doAnswer(
            inv -> {
              if (gate.get()) {
                allInside.await(20, TimeUnit.SECONDS);
              }
              return inv.callRealMethod();
            })
        .when(calls)
        .run(any(), anyMap(), anyMap());
    try (OnnxModel m =
        OnnxModel.open(OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults(), calls)) {
      TokenBatch tb = new TokenBatch(new int[] {1, 2, 3}, 1, 3);
      float[] want = m.denoiser().forward(tb, null).values();
      gate.set(true);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<float[]>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          futures.add(pool.submit(() -> m.denoiser().forward(tb, null).values()));
        }
        for (Future<float[]> f : futures) {
          assertArrayEquals(want, f.get(30, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }
      // the serial call's set was reused by one caller; the other three made their own
      assertEquals(threads, m.denoiser().buffersAllocated(), "one buffer set per caller inside");
    }
  }

  @Test
  void closedDenoiserRefusesCalls() throws Exception {
    OnnxModel m = OnnxModel.open(OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults());
    TokenBatch tb = new TokenBatch(new int[] {1, 2, 3}, 1, 3);
    assertEquals(3 * m.denoiser().vocabSize(), m.denoiser().forward(tb, null).values().length);
    m.close();
    m.close(); // idempotent
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> m.denoiser().forward(tb, null));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }
}
