package dev.dllm.runtime.onnx;

/**
 * One sample drawn by {@link DllmGenerator#generate}.
 *
 * @param index position in the request, 0 … N - 1
 * @param text the decoded ids of the whole row (special ids dropped)
 * @param ids token ids of the whole row: L, or L + strides·stride_length for semi-autoregressive
 *     MDLM sampling; for a prompted sample the prompt, the generated span and what follows it (the
 *     suffix of an infill, the EOS tail of a diffusion block, or for a causal family the tokens its
 *     batch drew past this row's span)
 * @param steps the denoising steps the sampler took (L - 1 for causal families; for a prompted
 *     causal sample, the positions generated after its prompt)
 * @param nfe network calls (function evaluations) spent on the batch this sample was drawn in
 * @param batchSize rows drawn together with it (they share {@code nfe} and {@code seconds})
 * @param seconds wall-clock seconds of the sampler call that drew its batch
 * @param promptLength P: tokens given before the generated span, the BOS included where one is
 *     given (0 for unconditional rows; the BOS put before the prompt of a {@code wrap}-trained
 *     export or by {@link GenerateOptions#bos}, and the BOS a causal family starts from when the
 *     prompt is empty, count); {@link #ids} positions 0 … P − 1 are these tokens, and the
 *     completion never includes them
 * @param generated ids of the generated span, positions P … P + max_new − 1 (the gap of an infill);
 *     it may hold ids after the first EOS
 * @param completion the decoded span, up to the first generated EOS (when stopping at EOS) and
 *     before the first stop string
 * @param stopReason {@link Completion#EOS}, {@link Completion#STOP} or {@link Completion#LENGTH}
 */
public record Generated(
    int index,
    String text,
    int[] ids,
    int steps,
    int nfe,
    int batchSize,
    double seconds,
    int promptLength,
    int[] generated,
    String completion,
    String stopReason) {

  /** An unconditional sample: no prompt, the whole row generated and decoded, stopped by length. */
  public Generated(
      int index, String text, int[] ids, int steps, int nfe, int batchSize, double seconds) {
    this(index, text, ids, steps, nfe, batchSize, seconds, 0, ids, text, Completion.LENGTH);
  }
}
