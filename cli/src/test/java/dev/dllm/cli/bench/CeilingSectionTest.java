package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CeilingSectionTest {
  /** The median of the rounds: the middle value, or the mean of the two middle ones. */
  @Test
  void medianIsTheMiddleOfTheSortedRounds() {
    assertEquals(3.0, CeilingSection.median(new double[] {9, 1, 3, 2, 100}), 0);
    assertEquals(2.5, CeilingSection.median(new double[] {4, 1, 3, 2}), 0);
    assertEquals(7.0, CeilingSection.median(new double[] {7}), 0);
    double[] rounds = {5, 4, 3};
    CeilingSection.median(rounds);
    assertEquals(5, rounds[0], 0); // the input is not reordered
  }
}
