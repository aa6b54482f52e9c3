package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.TokenBatch;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code close()} releases the direct buffers of the denoiser and the KV cache at once, not at the
 * next garbage collection (issue 11 §3): a loop of open + forward + close, with no GC requested,
 * keeps the JVM's direct-buffer pool at its starting size after every iteration. Also prints the
 * process RSS series.
 */
class NativeMemoryTest {

  static BufferPoolMXBean directPool() {
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        return b;
      }
    }
    throw new IllegalStateException("no direct buffer pool bean");
  }

  /** Resident set size in KiB from /proc (Linux), or -1. */
  static long rssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  @Test
  void openForwardCloseLeavesNoDirectBuffersBehind() throws Exception {
    assertTrue(DirectBuffers.canFree(), "this JDK cannot free direct buffers at once");
    BufferPoolMXBean pool = directPool();
    Path mdlm = OnnxRuntimeTest.fixture("mdlm-tiny");
    Path ar = OnnxRuntimeTest.fixture("ar-tiny");
    cycle(mdlm, ar); // warm-up: class loading, ONNX Runtime's own one-time buffers
    rssKib(); // reading /proc caches one temporary direct buffer per thread in the JDK
    long count0 = pool.getCount();
    long bytes0 = pool.getMemoryUsed();
    List<Long> rss = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      cycle(mdlm, ar);
      assertEquals(count0, pool.getCount(), "direct buffers after iteration " + i);
      assertEquals(bytes0, pool.getMemoryUsed(), "direct bytes after iteration " + i);
      rss.add(rssKib());
    }
    System.out.println("RSS KiB per open+forward+close: " + rss);
  }

  /** One open + forwards of two shapes + a KV-cache step + close. */
  static void cycle(Path mdlm, Path ar) {
    try (OnnxModel m = OnnxModel.open(mdlm, OrtConfig.defaults().withThreads(1))) {
      m.denoiser().forward(new TokenBatch(new int[] {1, 2, 3, 4, 5, 6}, 2, 3), null);
      m.denoiser().forward(new TokenBatch(new int[] {1, 2, 3}, 1, 3), new float[] {0.5f});
    }
    try (OnnxModel m = OnnxModel.open(ar, OrtConfig.defaults().withThreads(1))) {
      try (var kv = m.denoiser().kvCacheDecoder(2).orElseThrow()) {
        kv.next(new int[] {1, 2});
        kv.next(new int[] {3, 4});
      }
    }
  }
}
