package dev.dllm.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmaTest {

  @Test
  void updatesFollowWarmupDecayFormula() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {1f});
      Map<String, NDArray> params = Map.of("w", p);
      try (Ema ema = new Ema(m, 0.5, params)) {
        p.subi(1f); // p = 0
        ema.update(params); // decay_eff = min(0.5, 1/10) = 0.1: 1 - 0.9 * (1 - 0) = 0.1
        assertEquals(0.1, ema.shadow().get("w").getFloat(0), 1e-7);
        p.addi(2f); // p = 2
        ema.update(params); // decay_eff = min(0.5, 2/11): 0.1 - (9/11) * (0.1 - 2)
        assertEquals(0.1 - (9.0 / 11) * (0.1 - 2), ema.shadow().get("w").getFloat(0), 1e-6);
        assertEquals(0.25, ema.effectiveDecay(), 1e-15); // n = 2: min(0.5, 3/12)
      }
    }
  }
}
