package dev.dllm.api;

/**
 * Windowed KV-cache decoding over an arbitrary order (Eso-LM sampling, spec §4.4, §10.12): each
 * call feeds a window of W tokens per row at explicit rotary positions. Window queries attend every
 * cached key and, inside the window, causally (key index &lt;= query index). After the call the
 * keys and values of the first {@code commit} window tokens are appended to the cache; the rest are
 * dropped. Only clean tokens should be committed: the Eso-LM sampler re-feeds the previous step's
 * freshly drawn tokens as clean at the head of the next window. sigma is 0 (no time conditioning).
 * Close it to free native memory.
 */
public interface WindowKvCacheDecoder extends AutoCloseable {

  /**
   * One window step.
   *
   * @param tokens window token ids {@code [B, W]}, row-major
   * @param positions rotary position of each window token {@code [B, W]}
   * @param window W &gt;= 1
   * @param commit how many leading window tokens to append to the cache, 0 &lt;= commit &lt;= W
   * @return logits {@code [B, W, V]} of the window
   */
  Logits step(int[] tokens, int[] positions, int window, int commit);

  /** Number of cached tokens per row. */
  int cached();

  @Override
  void close();
}
