package dev.dllm.api.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.sample.Rng;
import org.junit.jupiter.api.Test;

class TimeSamplerTest {
  private final TimeSampler sampler = new TimeSampler();

  @Test
  void millionTimesStayInRange() {
    Rng rng = new Rng(7);
    long n = 0;
    double min = 1;
    double max = 0;
    for (int step = 0; step < 1000; step++) {
      for (double t : sampler.sampleGlobal(1000, rng)) {
        min = Math.min(min, t);
        max = Math.max(max, t);
        n++;
      }
    }
    assertEquals(1_000_000, n);
    assertTrue(min >= 1e-3, "min " + min);
    assertTrue(max <= 1.0, "max " + max);
    // stratification reaches both ends: the first stratum is [1e-3, 1e-3 + 0.999/1000)
    assertTrue(min < 1e-3 + 0.999e-3);
    assertTrue(max > 1 - 0.999e-3);
  }

  @Test
  void stratifiedBatchMeanIsCloseToOneHalf() {
    Rng rng = new Rng(11);
    for (int b : new int[] {1, 2, 8, 64, 512}) {
      for (int rep = 0; rep < 50; rep++) {
        double[] t = sampler.sampleEval(b, rng);
        double mean = 0;
        for (double x : t) {
          mean += x;
        }
        mean /= b;
        assertTrue(Math.abs(mean - 0.5) <= 1.0 / (2 * b) + 1e-3, "B=" + b + " mean " + mean);
      }
    }
  }

  @Test
  void oneSamplePerStratum() {
    int n = 16;
    double[] t = sampler.sampleGlobal(n, new Rng(3));
    for (int i = 0; i < n; i++) {
      double u = (t[i] - 1e-3) / (1 - 1e-3);
      assertTrue(u >= (double) i / n - 1e-12 && u < (i + 1.0) / n + 1e-12, "stratum " + i);
    }
  }

  @Test
  void microStepGetsItsOwnStrata() {
    int n = 32;
    int k = 4;
    for (int j = 0; j < k; j++) {
      double[] t = sampler.sampleMicroStep(n, k, j, new Rng(5));
      assertEquals(n / k, t.length);
      double[] global = sampler.sampleGlobal(n, new Rng(5));
      for (int i = 0; i < t.length; i++) {
        int stratum = j * n / k + i;
        double u = (t[i] - 1e-3) / (1 - 1e-3);
        assertTrue(u >= (double) stratum / n - 1e-12 && u < (stratum + 1.0) / n + 1e-12);
        assertEquals(global[stratum], t[i], 0);
      }
    }
    // truncated to the actual micro-batch size
    double[] part = sampler.sampleChunk(n, k, 1, 3, new Rng(5));
    double[] global = sampler.sampleGlobal(n, new Rng(5));
    assertArrayEquals(new double[] {global[8], global[9], global[10]}, part, 0);
  }

  @Test
  void chunkOrderIsNodeDeviceStep() {
    // 2 nodes x 2 devices x 3 accumulation steps = 12 chunks
    assertEquals(0, TimeSampler.chunkIndex(0, 2, 0, 3, 0));
    assertEquals(2, TimeSampler.chunkIndex(0, 2, 0, 3, 2));
    assertEquals(3, TimeSampler.chunkIndex(0, 2, 1, 3, 0));
    assertEquals(6, TimeSampler.chunkIndex(1, 2, 0, 3, 0));
    assertEquals(11, TimeSampler.chunkIndex(1, 2, 1, 3, 2));
  }

  @Test
  void iidModeAndErrors() {
    TimeSampler iid = new TimeSampler(1e-3, false);
    double[] t = iid.sampleGlobal(4, new Rng(1));
    Rng same = new Rng(1);
    for (double x : t) {
      assertEquals(0.999 * same.uniform() + 1e-3, x, 1e-15);
    }
    assertThrows(IllegalArgumentException.class, () -> sampler.sampleMicroStep(10, 3, 0, null));
    assertThrows(IllegalArgumentException.class, () -> sampler.sampleChunk(8, 2, 0, 5, null));
  }
}
