package dev.dllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.tokenize.SpecialTokens;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EntropyStatsTest {
  private static final SpecialTokens NONE = new SpecialTokens(-1, -1, -1, -1);

  @Test
  void issueValues() {
    assertEquals(0.0, EntropyStats.mean(List.of(new int[] {1, 1, 1, 1}), NONE), 1e-12);
    assertEquals(1.386294, EntropyStats.mean(List.of(new int[] {1, 2, 3, 4}), NONE), 1e-6);
    int[] distinct = IntStream.range(0, 1024).toArray();
    assertEquals(6.931472, EntropyStats.mean(List.of(distinct), NONE), 1e-6);
  }

  @Test
  void meanOverSamplesNotPooled() {
    // pooled ids {1,1,1,1,1,2,3,4} would give another value; the metric is the per-sample mean
    double mean = EntropyStats.mean(List.of(new int[] {1, 1, 1, 1}, new int[] {1, 2, 3, 4}), NONE);
    assertEquals(Math.log(4) / 2, mean, 1e-12);
    assertEquals(Double.NaN, EntropyStats.mean(List.of(), NONE));
  }

  @Test
  void windowsOfRealText() {
    int[] stream = {1, 1, 1, 1, 1, 2, 3, 4, 9};
    assertEquals(Math.log(4) / 2, EntropyStats.ofWindows(stream, 4), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> EntropyStats.ofWindows(stream, 10));
  }
}
