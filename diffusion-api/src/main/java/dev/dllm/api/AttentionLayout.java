package dev.dllm.api;

/**
 * Explicit rotary positions and attention pattern of one forward pass, for families whose
 * transformer does not attend in the plain left-to-right or all-pairs way (Eso-LM, spec §4.2–4.3).
 * The tokens are fed in the order the family chooses (for Eso-LM: sorted by {@code sort_idx}); each
 * token carries the rotary phase of {@code positions} (its <i>original</i> position), and the
 * attention pattern is either causal over the fed order or an explicit boolean matrix.
 *
 * @param batch B
 * @param length L, the number of fed tokens per row
 * @param positions rotary position of every fed token {@code [B, L]}, row-major
 * @param allowed {@code allowed[(b·L + q)·L + k]}: query q may attend key k {@code [B, L, L]}, or
 *     {@code [L, L]} ({@code allowed[q·L + k]}) for one pattern shared by every row; {@code null}
 *     means causal over the fed order (k &lt;= q), the "sorted-causal" attention of Eso-LM (B)
 */
public record AttentionLayout(int batch, int length, int[] positions, boolean[] allowed) {

  /** The additive attention bias of a disallowed key (finite, never -inf; as the ONNX export). */
  public static final float MASK_BIAS = -1e9f;

  public AttentionLayout {
    if (batch < 0 || length < 0 || positions == null || positions.length != batch * length) {
      throw new IllegalArgumentException(
          "attention layout ["
              + batch
              + ", "
              + length
              + "] needs "
              + batch * length
              + " positions");
    }
    if (allowed != null
        && allowed.length != (long) batch * length * length
        && allowed.length != (long) length * length) {
      throw new IllegalArgumentException(
          "attention layout ["
              + batch
              + ", "
              + length
              + "] needs a [B, L, L] or [L, L] mask, got "
              + allowed.length
              + " entries");
    }
  }

  /**
   * Causal attention over the fed order with the given rotary positions (Eso-LM diffusion branch,
   * spec §4.3 {@code causal}).
   *
   * @param positions {@code [B, L]}
   */
  public static AttentionLayout sortedCausal(int[] positions, int batch, int length) {
    return new AttentionLayout(batch, length, positions, null);
  }

  /** True when the pattern is causal over the fed order ({@link #allowed()} is null). */
  public boolean isSortedCausal() {
    return allowed == null;
  }

  /** Rotary position of row b, fed index l. */
  public int position(int b, int l) {
    return positions[b * length + l];
  }

  /** Whether one pattern serves every row (sorted-causal, or an {@code [L, L]} mask). */
  public boolean shared() {
    return allowed == null || allowed.length == length * length;
  }

  /** Whether query q of row b may attend key k. */
  public boolean allowed(int b, int q, int k) {
    if (allowed == null) {
      return k <= q;
    }
    int row = allowed.length == length * length ? 0 : b;
    return allowed[(row * length + q) * length + k];
  }

  /**
   * The pattern as an additive bias: 0 where allowed, {@link #MASK_BIAS} elsewhere (what an engine
   * adds to the attention scores); {@code [1, L, L]} when {@link #shared()} (broadcast it over the
   * rows), else {@code [B, L, L]}.
   */
  public float[] additiveMask() {
    int rows = shared() ? 1 : batch;
    float[] out = new float[rows * length * length];
    for (int b = 0; b < rows; b++) {
      for (int q = 0; q < length; q++) {
        for (int k = 0; k < length; k++) {
          out[(b * length + q) * length + k] = allowed(b, q, k) ? 0f : MASK_BIAS;
        }
      }
    }
    return out;
  }
}
