package dev.dllm.api.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.NllSum;
import org.junit.jupiter.api.Test;

class PerplexityMeterTest {
  private static final double EXPECTED = Math.exp(3010.0 / 1010.0);

  @Test
  void tokenWeightedOverBatches() {
    assertEquals(19.6917, EXPECTED, 1e-4);
    PerplexityMeter whole = new PerplexityMeter().add(10, 10).add(new NllSum(3000, 1000));
    assertEquals(EXPECTED, whole.perplexity(), 1e-12);
    assertEquals(1010, whole.tokens());
    // not the mean of per-batch PPLs, not exp of the mean of per-batch means
    assertNotEquals(11.4019, whole.perplexity(), 1e-3);
    assertNotEquals(7.3891, whole.perplexity(), 1e-3);
    assertEquals(3010.0 / 1010.0, whole.natsPerToken(), 1e-15);
    assertEquals(3010.0 / 1010.0 / Math.log(2), whole.bitsPerToken(), 1e-14);
  }

  @Test
  void everySplitOfBGivesTheSameAnswer() {
    for (int parts : new int[] {1, 2, 10, 1000}) {
      PerplexityMeter m = new PerplexityMeter().add(10, 10);
      for (int i = 0; i < parts; i++) {
        m.add(3000.0 / parts, 1000 / parts);
      }
      assertEquals(EXPECTED, m.perplexity(), 1e-10, "split into " + parts);
      assertEquals(1010, m.tokens());
    }
  }

  @Test
  void mergeAndEmpty() {
    PerplexityMeter a = new PerplexityMeter().add(10, 10);
    PerplexityMeter b = new PerplexityMeter();
    for (int i = 0; i < 10; i++) {
      b.add(300, 100);
    }
    assertEquals(EXPECTED, a.add(b).perplexity(), 1e-10);
    PerplexityMeter empty = new PerplexityMeter();
    assertTrue(Double.isNaN(empty.perplexity()));
    a.reset();
    assertEquals(0, a.tokens());
  }
}
