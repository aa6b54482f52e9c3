package dev.dllm.api;

/**
 * Network outputs {@code [B, L, V]} float32, row-major in one array.
 *
 * @param values {@code values[(b * length + l) * vocab + v]}
 */
public record Logits(float[] values, int batch, int length, int vocab) {
  public Logits {
    if (values.length != (long) batch * length * vocab) {
      throw new IllegalArgumentException(
          "logits ["
              + batch
              + ", "
              + length
              + ", "
              + vocab
              + "] need "
              + (long) batch * length * vocab
              + " values, got "
              + values.length);
    }
  }

  /** Offset of the first logit of row {@code b}, position {@code l}. */
  public int offset(int b, int l) {
    return (b * length + l) * vocab;
  }

  public float get(int b, int l, int v) {
    return values[offset(b, l) + v];
  }

  /**
   * Checks that a denoiser returned logits for the tokens it was given.
   *
   * @return this
   * @throws IllegalArgumentException when the logits are not {@code [batch, length, V]}
   */
  public Logits requireShape(int batch, int length) {
    if (this.batch != batch || this.length != length) {
      throw new IllegalArgumentException(
          "denoiser returned logits ["
              + this.batch
              + ", "
              + this.length
              + ", V] for tokens ["
              + batch
              + ", "
              + length
              + "]");
    }
    return this;
  }
}
