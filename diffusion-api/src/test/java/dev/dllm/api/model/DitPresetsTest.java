package dev.dllm.api.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import org.junit.jupiter.api.Test;

/** Parameter counts against the independent table of spec §7.6 (V = 32001, millions). */
class DitPresetsTest {
  private static final int V = 32001;

  private static void check(String name, double total, double minus2Vd, double nEff) {
    DitConfig c = DitPresets.preset(name, V, Attention.BIDIRECTIONAL);
    long t = DitLayout.totalParams(c);
    long vd = (long) V * c.hidden();
    assertEquals(total, t / 1e6, 0.005, name + " total");
    assertEquals(minus2Vd, (t - 2 * vd) / 1e6, 0.005, name + " params - 2Vd");
    assertEquals(nEff, c.nEff() / 1e6, 0.005, name + " N_eff");
    assertEquals(t - vd, DitLayout.nonEmbeddingParams(c));
  }

  @Test
  void ladderCountsMatchSpecTable() {
    check("6M", 22.45, 6.07, 12.91);
    check("113M", 141.57, 92.41, 109.51);
    check("472M", 454.22, 372.30, 394.86);
    check("2121M", 1778.45, 1639.18, 1660.59);
    check("tiny", 24.42, 8.04, 14.48);
  }

  /** spec §7.6: per block 12d² + 13d + 6·128·d, plus Vd + (dV + V) + 49,408 + d + 258d. */
  @Test
  void closedFormCount() {
    for (String n : new String[] {"xxs", "s", "48M", "1233M"}) {
      DitConfig c = DitPresets.preset(n, 1000, Attention.CAUSAL);
      long d = c.hidden();
      long perBlock = 12 * d * d + 13 * d + 6 * 128 * d;
      long expected = c.blocks() * perBlock + 1000 * d + d * 1000 + 1000 + 49_408 + d + 258 * d;
      assertEquals(expected, DitLayout.totalParams(c), n);
    }
  }

  @Test
  void cpuPresetShapes() {
    DitConfig xs = DitPresets.preset("xs", 100, Attention.BIDIRECTIONAL);
    assertEquals(128, xs.hidden());
    assertEquals(4, xs.blocks());
    assertEquals(4, xs.heads());
    assertEquals(128, xs.condDim());
  }

  /**
   * The CPU ladder (issue 10: ≥ 4 sizes around each laptop budget's optimum) grows strictly in
   * N_eff = 12·blocks·d² + d·V, every head dimension is even (rotary), and heads divide d.
   */
  @Test
  void cpuLadderGrowsAndHeadsFit() {
    String[] ladder = {
      "d8", "d12", "d16", "d24", "d32", "d48", "xxs", "d96", "xs", "d192", "s", "d320", "m"
    };
    long previous = 0;
    for (String n : ladder) {
      DitConfig c = DitPresets.preset(n, 69, Attention.BIDIRECTIONAL);
      long d = c.hidden();
      assertEquals(12 * c.blocks() * d * d + d * 69, c.nEff(), n);
      assertTrue(c.nEff() > previous, n + " larger than the previous rung");
      assertEquals(0, d % c.heads(), n);
      assertEquals(0, (d / c.heads()) % 2, n + " even head dimension");
      previous = c.nEff();
    }
  }

  @Test
  void unknownPresetListsNames() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> DitPresets.preset("huge", V, Attention.BIDIRECTIONAL));
    assertTrue(e.getMessage().contains("xxs") && e.getMessage().contains("2121M"));
  }
}
