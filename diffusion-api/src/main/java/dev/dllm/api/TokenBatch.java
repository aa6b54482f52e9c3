package dev.dllm.api;

/**
 * Token ids {@code [B, L]} stored row-major in one array.
 *
 * @param ids {@code ids[b * length + l]}
 * @param batch B
 * @param length L
 */
public record TokenBatch(int[] ids, int batch, int length) {
  public TokenBatch {
    if (batch < 0 || length < 0 || ids.length != (long) batch * length) {
      throw new IllegalArgumentException(
          "token batch ["
              + batch
              + ", "
              + length
              + "] needs "
              + (long) batch * length
              + " ids, got "
              + ids.length);
    }
  }

  /** Token at row {@code b}, position {@code l}. */
  public int get(int b, int l) {
    return ids[b * length + l];
  }
}
