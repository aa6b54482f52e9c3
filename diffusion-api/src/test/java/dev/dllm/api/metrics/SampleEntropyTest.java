package dev.dllm.api.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SampleEntropyTest {
  @Test
  void closedForms() {
    assertEquals(0.0, SampleEntropy.of(new int[] {5, 5, 5, 5}, 0, 4), 1e-15);
    assertEquals(Math.log(4), SampleEntropy.of(new int[] {3, 1, 2, 0}, 0, 4), 1e-15);
    // counts {2, 1, 1} over L = 4: -(1/2 ln 1/2 + 2 * 1/4 ln 1/4) = 1.5 ln 2
    assertEquals(1.5 * Math.log(2), SampleEntropy.of(new int[] {9, 7, 9, 8, 7, 7}, 1, 4), 1e-15);
  }
}
