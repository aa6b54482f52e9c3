package dev.dllm.api;

/**
 * A block KV cache for bidirectional models (Fast-dLLM's prefix and dual cache, Wu et al. 2025,
 * NVlabs/Fast-dLLM {@code llada/generate.py} {@code generate_with_prefix_cache} / {@code
 * generate_with_dual_cache}; issue 20). {@link #refresh} runs the full forward over {@code [B, L]}
 * and keeps the per-layer keys and values of every position; {@link #slice} runs only S positions
 * per row, their queries attending the cached keys the caller marks visible and the slice's own
 * keys. Keys and values of the other positions are those of the last refresh, so a slice step is
 * exact only while the tokens outside the slice are those of the refresh (the approximation Fast-
 * dLLM makes inside a block). sigma is per row, null for zeros. Close it to free native memory.
 */
public interface BlockKvCacheDecoder extends AutoCloseable {

  /**
   * Full forward, keeping the K/V of every position as the cache (the previous cache is dropped).
   *
   * @param tokens ids {@code [B, L]}
   * @param sigma {@code [B]} or null (zeros)
   * @return logits {@code [B, L, V]}
   */
  Logits refresh(TokenBatch tokens, float[] sigma);

  /**
   * A forward of S positions per row against the cache of the last {@link #refresh}.
   *
   * @param tokens slice ids {@code [B, S]}, row-major, B that of the refresh
   * @param positions their positions in [0, L) {@code [B, S]} (rotary positions)
   * @param width S &gt;= 1
   * @param visible {@code [B, L + S]}: key j &lt; L is cached position j, key L + s is slice token
   *     s; false hides the key from every query of the row (at least one key per row visible)
   * @param sigma {@code [B]} or null (zeros)
   * @return logits {@code [B, S, V]}
   * @throws IllegalStateException before the first refresh or after close
   * @throws InvalidInputException for arrays of the wrong length or an id outside [0, V)
   */
  Logits slice(int[] tokens, int[] positions, int width, boolean[] visible, float[] sigma);

  /** B of the last refresh (0 before). */
  int batch();

  /** L of the last refresh (0 before). */
  int length();

  @Override
  void close();
}
