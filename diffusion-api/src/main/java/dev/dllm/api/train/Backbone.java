package dev.dllm.api.train;

/**
 * The network as a family's training objective sees it during one micro-batch: array factories on
 * the micro-batch's scope and the DiT forward (spec §7), so that each family drives its own forward
 * (token ids or soft input, sigma, optional rotary positions and additive attention bias) while the
 * trainer owns the loop, optimizer, accumulation, checkpoints and validation.
 *
 * <p>Every array a method returns lives until the micro-batch's backward pass has run, then is
 * freed. <b>Autograd safety:</b> an engine's {@code Number} overloads ({@code mul(2f)}, {@code
 * div(n)}, {@code pow(x)}, …) may build a temporary scalar array that is freed before backward
 * while autograd still references it (issue 7: DJL PyTorch aliases a Java direct buffer). Use
 * {@link #constant(double)} for every scalar that multiplies, divides or exponentiates an array on
 * the gradient path; a build check ({@code AutogradScalarCheckTest}) flags the unsafe overloads.
 *
 * <p>This interface names no engine type, so the api module stays free of DJL.
 *
 * @param <A> the engine's array type ({@code ai.djl.ndarray.NDArray} for the DJL trainer)
 */
public interface Backbone<A> {

  /** Vocabulary size V of the logits (including the mask id when the tokenizer has one). */
  int vocabSize();

  /**
   * Token ids as an int64 array {@code [batch, length]}.
   *
   * @param ids row-major ids, {@code batch·length} of them
   */
  A ids(int[] ids, int batch, int length);

  /** A float32 array of {@code shape} holding {@code values} (row-major). */
  A floats(float[] values, long... shape);

  /**
   * A float32 scalar (0-d) that stays alive until after backward; the same value returns a cached
   * array, so calling this per step costs nothing.
   */
  A constant(double value);

  /**
   * Logits of token ids with the backbone's own attention pattern and positions 0..L-1.
   *
   * @param ids {@code [B, L]} int64
   * @param sigma time conditioning {@code [B]} float32 (sigma = -log alpha_t), or null for zeros
   * @return logits {@code [B, L, V]} float32
   */
  A forward(A ids, A sigma);

  /**
   * Logits with explicit rotary positions and attention (Eso-LM, spec §4.2–4.3).
   *
   * @param ids {@code [B, L']} int64 (L' may be 2L for a two-stream input)
   * @param sigma {@code [B]} float32 or null
   * @param positions rotary position of each token {@code [B, L']} int64, or null for 0..L'-1
   * @param attnBias additive attention bias broadcastable to {@code [B, H, L', L']} (0 attends,
   *     -1e9 blocks; query on axis -2), or null for the backbone's own pattern
   * @return logits {@code [B, L', V]} float32
   */
  A forward(A ids, A sigma, A positions, A attnBias);

  /**
   * Logits of a soft input (Duo curriculum, spec §3.5): the input embedding of each position is
   * softmax(weights)·E.
   *
   * @param weights unnormalised weights {@code [B, L, V]} float32
   * @param sigma {@code [B]} float32 or null
   * @return logits {@code [B, L, V]} float32
   */
  A forwardSoft(A weights, A sigma);

  /**
   * A frozen copy of the network (distillation teacher); its forward records no gradient.
   *
   * @throws UnsupportedOperationException when the trainer was not asked for a teacher
   */
  default Backbone<A> teacher() {
    throw new UnsupportedOperationException("this training run has no frozen teacher");
  }
}
