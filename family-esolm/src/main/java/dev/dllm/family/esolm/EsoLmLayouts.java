package dev.dllm.family.esolm;

import dev.dllm.api.AttentionLayout;

/**
 * Attention layouts of the two Eso-LM branches (spec §4.3; [SD]/[ESO] models/dit.py {@code
 * EsoLMDiT}). Indices are sorted indices; rotary positions are the original positions ({@code
 * order}), so every token keeps the phase of where it sits in the text (spec §4.2).
 */
public final class EsoLmLayouts {
  private EsoLmLayouts() {}

  /**
   * Diffusion branch, Eso-LM (B): causal over the sorted order.
   *
   * @param orders one order per row, {@code orders[b][j]} = original position of sorted index j
   */
  public static AttentionLayout diffusion(int[][] orders) {
    int batch = orders.length;
    int len = batch == 0 ? 0 : orders[0].length;
    int[] pos = new int[batch * len];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(orders[b], 0, pos, b * len, len);
    }
    return AttentionLayout.sortedCausal(pos, batch, len);
  }

  /**
   * Sequential branch (the two-stream input [z sorted ; x sorted] of length 2L, spec §4.3): a query
   * of the z half at sorted index j attends the z key j itself and the x keys at sorted indices
   * &lt; j; a query of the x half at j attends x keys &lt;= j; the x half never sees the z half.
   * Rotary positions are [order ; order]. In sorted indices the pattern is the same for every row,
   * so it is stored once ({@code [2L, 2L]}).
   *
   * @return a layout of {@code [B, 2L]}
   */
  public static AttentionLayout sequential(int[][] orders) {
    int batch = orders.length;
    int len = batch == 0 ? 0 : orders[0].length;
    int n = 2 * len;
    int[] pos = new int[batch * n];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(orders[b], 0, pos, b * n, len);
      System.arraycopy(orders[b], 0, pos, b * n + len, len);
    }
    boolean[] allowed = new boolean[n * n]; // in sorted indices: the same for every row
    for (int q = 0; q < n; q++) {
      int base = q * n;
      if (q < len) {
        allowed[base + q] = true;
        for (int k = len; k < len + q; k++) {
          allowed[base + k] = true;
        }
      } else {
        for (int k = len; k <= q; k++) {
          allowed[base + k] = true;
        }
      }
    }
    return new AttentionLayout(batch, n, pos, allowed);
  }
}
