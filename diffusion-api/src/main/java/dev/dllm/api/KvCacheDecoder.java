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

  /** Number of tokens already fed per row. */
  int position();

  @Override
  void close();
}
