package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import org.junit.jupiter.api.Test;

class FlopsBudgetTest {

  @Test
  void stepsMatchHandComputation() {
    // xs with Tiny Shakespeare's char vocabulary (65 + 4 specials): N_eff = 12·4·128² + 128·69
    // = 786,432 + 8,832
    DitConfig xs = new DitConfig(69, 128, 4, 4, 128, BackboneSpec.Attention.CAUSAL, 0);
    assertEquals(795_264L, xs.nEff());
    // one step = 6 · 795,264 · 32 · 256 = 39,088,816,128 FLOPs; 5e12 / that = 127.91
    assertEquals(39_088_816_128.0, FlopsBudget.flopsPerStep(xs.nEff(), 32, 256), 0);
    assertEquals(127L, FlopsBudget.steps(5e12, xs.nEff(), 32, 256));
    assertEquals(4_964_279_648_256.0, FlopsBudget.spent(127, xs.nEff(), 32, 256), 0);
  }

  @Test
  void paperExampleFrom113M() {
    // 113M (12 blocks, d 768, V 32001) at 1e18 FLOPs, B 256, L 2048: N_eff = 109,511,424 and
    // 1e18 / (6 · N_eff · 256 · 2048) = 2902.8. Spec §7.7 quotes 2,897 from calflops' F_fwd, which
    // also counts small elementwise ops (0.2% more).
    long nEff = 12L * 12 * 768 * 768 + 768L * 32001;
    assertEquals(109_511_424L, nEff);
    assertEquals(2_902L, FlopsBudget.steps(1e18, nEff, 256, 2048));
  }

  @Test
  void tooSmallBudgetIsBadInput() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> FlopsBudget.steps(1e6, 794_880, 32, 256));
    assertEquals(true, e.getMessage().contains("--flops"));
  }
}
