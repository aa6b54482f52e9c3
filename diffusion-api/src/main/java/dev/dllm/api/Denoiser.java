package dev.dllm.api;

import java.util.Optional;

/**
 * The network as a function: token ids {@code [B, L]} (and the time-conditioning scalar sigma
 * {@code [B]}) to logits {@code [B, L, V]}. Samplers and the NELBO evaluator only know this
 * interface. Implementations: the DJL backbone (trainer), ONNX Runtime (runtime-onnx) and the
 * float64 reference forward used by tests.
 *
 * <p>Logits are raw network outputs: the family applies mask suppression, SUBS and softmax itself,
 * in float64.
 */
public interface Denoiser extends AutoCloseable {

  /** V, the output vocabulary size (including the mask id where the tokenizer has one). */
  int vocabSize();

  /**
   * One forward pass.
   *
   * @param tokens token ids {@code [B, L]}
   * @param sigma noise level sigma = -log alpha_t per row {@code [B]}; {@code null} means zeros
   *     (families without time conditioning)
   * @return logits {@code [B, L, V]} float32
   */
  Logits forward(TokenBatch tokens, float[] sigma);

  /**
   * One forward pass with explicit rotary positions and attention pattern (Eso-LM, spec §4.2–4.3).
   * Logits come back in the fed order. Implementations that support it override this and {@link
   * #supportsLayout()}.
   *
   * @param tokens token ids {@code [B, L]} in the order they are fed
   * @param sigma {@code [B]} or null (zeros)
   * @param layout positions and attention pattern for {@code [B, L]}; null means {@link
   *     #forward(TokenBatch, float[])}
   * @return logits {@code [B, L, V]} float32, in the fed order
   * @throws UnsupportedOperationException when a layout is given and not supported
   */
  default Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    if (layout == null) {
      return forward(tokens, sigma);
    }
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " does not take explicit positions and attention masks");
  }

  /** Whether {@link #forward(TokenBatch, float[], AttentionLayout)} accepts a layout. */
  default boolean supportsLayout() {
    return false;
  }

  /**
   * A windowed KV-cache decoder over an arbitrary order (Eso-LM), when the backbone supports it.
   *
   * @param batch number of rows B decoded together
   */
  default Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
    return Optional.empty();
  }

  /**
   * An incremental (KV-cache) decoder over causal attention, when the backbone supports it (AR).
   *
   * @param batch number of rows B decoded together
   */
  default Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    return Optional.empty();
  }

  /**
   * A block KV cache over bidirectional attention (MDLM's {@code predictor=confidence cache=dual}),
   * when the backbone supports it.
   */
  default Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
    return Optional.empty();
  }

  @Override
  default void close() {}
}
