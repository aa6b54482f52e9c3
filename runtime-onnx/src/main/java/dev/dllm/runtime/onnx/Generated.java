package dev.dllm.runtime.onnx;

/**
 * One sample drawn by {@link DllmGenerator#generate}.
 *
 * @param index position in the request, 0 … N - 1
 * @param text the decoded ids
 * @param ids token ids of the whole row: L, or L + strides·stride_length for semi-autoregressive
 *     MDLM sampling
 * @param steps the denoising steps the sampler took (L - 1 for causal families)
 * @param nfe network calls (function evaluations) spent on the batch this sample was drawn in
 * @param batchSize rows drawn together with it (they share {@code nfe} and {@code seconds})
 * @param seconds wall-clock seconds of the sampler call that drew its batch
 */
public record Generated(
    int index, String text, int[] ids, int steps, int nfe, int batchSize, double seconds) {}
