package dev.dllm.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WarmupCosineLrTest {
  private final WarmupCosineLr lr = new WarmupCosineLr(1e-3, 1e-4, 10, 110);

  @Test
  void warmupIsLinear() {
    assertEquals(1e-4, lr.at(0), 1e-15);
    assertEquals(5e-4, lr.at(4), 1e-15);
    assertEquals(1e-3, lr.at(9), 1e-15);
  }

  @Test
  void cosineDecayClosedForm() {
    assertEquals(1e-3, lr.at(10), 1e-15);
    // halfway through the decay: cos(pi/2) = 0
    assertEquals(1e-4 + 0.9e-3 * 0.5, lr.at(60), 1e-15);
    // a quarter: (1 + cos(pi/4)) / 2 = 0.853553...
    assertEquals(1e-4 + 0.9e-3 * 0.8535533905932737, lr.at(35), 1e-15);
    assertEquals(1e-4, lr.at(110), 1e-15);
    assertEquals(1e-4, lr.at(500), 1e-15);
  }

  @Test
  void defaultWarmupFollowsReferenceAndCap() {
    assertEquals(100, WarmupCosineLr.defaultWarmup(5_000));
    assertEquals(2_897, WarmupCosineLr.defaultWarmup(289_731));
    assertEquals(12, WarmupCosineLr.defaultWarmup(127));
  }
}
