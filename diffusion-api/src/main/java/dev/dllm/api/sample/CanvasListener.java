package dev.dllm.api.sample;

/**
 * Receives a sampler's canvas before each network call, for a client that draws the denoising as it
 * happens ({@code dllm serve}'s streamed canvases). For samplers whose network calls do not see
 * every row at every position (Eso-LM: window KV cache, groups of rows, rows whose plan is over),
 * the canvas cannot be read off the denoiser's inputs; such a sampler reports it itself ({@link
 * Sampler#canvasListener}).
 */
@FunctionalInterface
public interface CanvasListener {

  /**
   * The canvas after {@code step} network calls, just before call {@code step + 1}, on the sampling
   * thread.
   *
   * @param step network calls done so far, from 0
   * @param ids {@code [B, L]} row-major in position order: given ids, decoded ids, and the MASK id
   *     where a row is still undecided; a copy the listener may keep
   */
  void canvas(int step, int[] ids);
}
