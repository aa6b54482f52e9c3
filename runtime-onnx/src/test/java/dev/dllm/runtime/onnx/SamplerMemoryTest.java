package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ai.onnxruntime.OnnxModelMetadata;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryCheck#maxBatch} (pareto {@code --batch max}) against the closed form of its
 * estimate, and {@link OnnxSessions#int8Level}: an int8 graph runs at optimisation level extended
 * at least.
 */
class SamplerMemoryTest {
  static final DitConfig CFG = new DitConfig(69, 128, 4, 4, 128, Attention.BIDIRECTIONAL, 0.0);
  static final int L = 256;

  /** Bytes per row, by hand: 4 · (2·L·V + 2·H·L² + 16·L·D), plus 4 · 2·blocks·L·D with a cache. */
  static long perRow(boolean kv) {
    long f = 4L * (2L * L * 69 + 2L * 4 * L * L + 16L * L * 128);
    return f + (kv ? 4L * 2 * 4 * L * 128 : 0);
  }

  @Test
  void largestPowerOfTwoNotAboveNWhoseBuffersFit() {
    for (boolean kv : new boolean[] {false, true}) {
      assertEquals(perRow(kv) * 8, MemoryCheck.samplerBytes(CFG, 8, L, kv));
      assertEquals(16, MemoryCheck.maxBatch(CFG, 16, L, kv, Long.MAX_VALUE));
      assertEquals(16, MemoryCheck.maxBatch(CFG, 31, L, kv, Long.MAX_VALUE));
      assertEquals(1, MemoryCheck.maxBatch(CFG, 1, L, kv, Long.MAX_VALUE));
      assertEquals(8, MemoryCheck.maxBatch(CFG, 100, L, kv, perRow(kv) * 8));
      assertEquals(4, MemoryCheck.maxBatch(CFG, 100, L, kv, perRow(kv) * 8 - 1));
      assertEquals(4, MemoryCheck.maxBatch(CFG, 6, L, kv, perRow(kv) * 8));
      assertEquals(1, MemoryCheck.maxBatch(CFG, 100, L, kv, 0)); // nothing fits: one row
    }
    // with a KV cache a batch needs more: a bound fitting 8 rows without fits 4 with
    assertEquals(4, MemoryCheck.maxBatch(CFG, 100, L, true, perRow(false) * 8));
    // B·L·V must fit one Java array: V = 2^20 at L = 1024 allows B = 1 only
    DitConfig big = new DitConfig(1 << 20, 128, 4, 4, 128, Attention.BIDIRECTIONAL, 0.0);
    assertEquals(1, MemoryCheck.maxBatch(big, 64, 1024, false, Long.MAX_VALUE));
    assertThrows(IllegalArgumentException.class, () -> MemoryCheck.maxBatch(CFG, 0, L, false, 1));
  }

  @Test
  void boundIsTheSampleLimitOrTheAvailableMemoryLessTheWeights() {
    assertEquals(MemoryCheck.MAX_FORWARD_BYTES, MemoryCheck.samplerBound(0, 123));
    assertEquals(MemoryCheck.MAX_FORWARD_BYTES, MemoryCheck.samplerBound(64L << 30, 1 << 30));
    assertEquals((3L << 30) - 5, MemoryCheck.samplerBound(3L << 30, 5));
    assertEquals(0, MemoryCheck.samplerBound(100, 200));
  }

  @Test
  void int8GraphsRunAtExtendedAtLeast() throws Exception {
    OrtSession int8 = session(Map.of(ExportMetadata.QUANTIZE_KEY, ExportMetadata.INT8));
    OrtSession fp32 = session(Map.of());
    for (String level : new String[] {"none", "basic"}) {
      OrtConfig c = new OrtConfig("cpu", 2, level);
      assertEquals(new OrtConfig("cpu", 2, "extended"), OnnxSessions.int8Level(int8, c));
      assertSame(c, OnnxSessions.int8Level(fp32, c));
    }
    for (String level : new String[] {"extended", "all"}) {
      OrtConfig c = new OrtConfig("cpu", 1, level);
      assertSame(c, OnnxSessions.int8Level(int8, c));
    }
  }

  private static OrtSession session(Map<String, String> props) throws Exception {
    OrtSession s = mock(OrtSession.class);
    OnnxModelMetadata md = mock(OnnxModelMetadata.class);
    when(md.getCustomMetadata()).thenReturn(props);
    when(s.getMetadata()).thenReturn(md);
    return s;
  }
}
