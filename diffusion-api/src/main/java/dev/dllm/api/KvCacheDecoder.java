package dev.dllm.api;

/**
 * Incremental causal decoding with a key/value cache (AR sampling, spec §5): each call feeds one
 * new token per row at the next position and returns that position's logits. Position 0 is the
 * first token fed (BOS). Close it to free native memory.
 */
public interface KvCacheDecoder extends AutoCloseable {

  /**
   * Feeds {@code tokens[b]} at position {@link #position()} for every row.
   *
   * @param tokens one token id per row {@code [B]}
   * @return logits {@code [B, 1, V]} of the fed position
   */
  Logits next(int[] tokens);

  /**
   * Feeds {@code count} tokens per row at positions {@link #position()} … position + count − 1 in
   * one network call where the backbone can (the prompt prefill of conditional AR sampling); the
   * default feeds them one {@link #next} at a time.
   *
   * @param tokens {@code [B, count]} row-major
   * @param count tokens per row, &gt;= 1
   * @return logits {@code [B, count, V]} of the fed positions
   */
  default Logits prefill(int[] tokens, int count) {
    if (count < 1 || tokens.length % count != 0) {
      throw new IllegalArgumentException(
          "prefill of " + tokens.length + " ids is not [B, " + count + "]");
    }
    int batch = tokens.length / count;
    int[] step = new int[batch];
    float[] out = null;
    int vocab = 0;
    for (int i = 0; i < count; i++) {
      for (int b = 0; b < batch; b++) {
        step[b] = tokens[b * count + i];
      }
      Logits l = next(step);
      if (out == null) {
        vocab = l.vocab();
        out = new float[batch * count * vocab];
      }
      for (int b = 0; b < batch; b++) {
        System.arraycopy(l.values(), l.offset(b, 0), out, (b * count + i) * vocab, vocab);
      }
    }
    return new Logits(out, batch, count, vocab);
  }

  /** Number of tokens already fed per row. */
  int position();

  @Override
  void close();
}
