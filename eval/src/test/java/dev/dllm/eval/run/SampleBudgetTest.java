package dev.dllm.eval.run;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import org.junit.jupiter.api.Test;

class SampleBudgetTest {
  private static final long GIB = 1L << 30;

  @Test
  void limitIsHalfTheHeapAtSixteenBytesPerTokenPlusPerSampleOverhead() {
    // 4 GiB heap, L = 256: 2 GiB / (256 * 16 + 96) = 2147483648 / 4192 = 512281.2
    assertEquals(512_281, SampleBudget.maxSamples(256, 4 * GIB));
    assertDoesNotThrow(() -> SampleBudget.check(512_281, 256, 4 * GIB, "m"));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> SampleBudget.check(512_282, 256, 4 * GIB, "m"));
    assertTrue(e.getMessage().contains("--num-samples 512282"), e.getMessage());
  }

  @Test
  void aBillionSamplesIsRefusedWithTheEstimate() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> SampleBudget.check(1_000_000_000, 1024, 64 * GIB, "exports/mdlm"));
    // 1e9 * (1024 * 16 + 96) bytes = 1.6480e13 bytes = 15348.2 GiB; 32 GiB / 16480 = 2084935.6
    assertEquals(16_480_000_000_000L, SampleBudget.bytes(1_000_000_000, 1024));
    assertTrue(e.getMessage().contains("15348.2 GiB"), e.getMessage());
    assertTrue(e.getMessage().contains("exports/mdlm"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 2084935 samples"), e.getMessage());
  }
}
