package dev.dllm.api.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TopPTest {

  @Test
  void keepsTheTokenCrossingP() {
    double[] p = {0.1, 0.5, 0.3, 0.1};
    TopP.apply(p, 0, 4, 0.6); // 0.5 < 0.6, + 0.3 crosses -> keep {1, 2}
    assertArrayEquals(new double[] {0, 0.625, 0.375, 0}, p, 1e-15);
  }

  @Test
  void exactlyReachingPStopsThere() {
    double[] p = {0.1, 0.5, 0.3, 0.1};
    TopP.apply(p, 0, 4, 0.5);
    assertArrayEquals(new double[] {0, 1, 0, 0}, p, 1e-15);
  }

  @Test
  void alwaysKeepsTheTop1() {
    double[] p = {0.2, 0.7, 0.1};
    TopP.apply(p, 0, 3, 1e-9);
    assertArrayEquals(new double[] {0, 1, 0}, p, 0);
  }

  @Test
  void pOneIsIdentityAndOffsetIsRespected() {
    double[] p = {9, 0.25, 0.25, 0.5};
    TopP.apply(p, 1, 3, 1.0);
    assertArrayEquals(new double[] {9, 0.25, 0.25, 0.5}, p, 0);
    TopP.apply(p, 1, 3, 0.4);
    assertArrayEquals(new double[] {9, 0, 0, 1}, p, 0);
  }

  @Test
  void rejectsBadP() {
    assertThrows(IllegalArgumentException.class, () -> TopP.apply(new double[] {1}, 0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> TopP.apply(new double[] {1}, 0, 1, 1.5));
  }
}
