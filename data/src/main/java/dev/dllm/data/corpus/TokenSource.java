package dev.dllm.data.corpus;

/** A read-only stream of token ids addressed by a long index (in memory or memory-mapped). */
public interface TokenSource {

  /** Number of tokens. */
  long size();

  /** Token at {@code index}. */
  int get(long index);

  /** Copies {@code length} tokens starting at {@code from} into {@code dst[offset..]}. */
  default void read(long from, int[] dst, int offset, int length) {
    for (int i = 0; i < length; i++) {
      dst[offset + i] = get(from + i);
    }
  }

  /** Tokens held in an {@code int[]}. */
  static TokenSource of(int[] tokens) {
    return new TokenSource() {
      @Override
      public long size() {
        return tokens.length;
      }

      @Override
      public int get(long index) {
        return tokens[Math.toIntExact(index)];
      }

      @Override
      public void read(long from, int[] dst, int offset, int length) {
        System.arraycopy(tokens, Math.toIntExact(from), dst, offset, length);
      }
    };
  }
}
