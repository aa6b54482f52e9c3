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
   * An incremental (KV-cache) decoder over causal attention, when the backbone supports it (AR).
   *
   * @param batch number of rows B decoded together
   */
  default Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    return Optional.empty();
  }

  @Override
  default void close() {}
}
