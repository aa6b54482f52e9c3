package dev.dllm.api.sample;

/**
 * Receives the wall time of each network step of a sampler, split into its phases, for benchmarks
 * ({@code dllm bench-sample --sections duo}). Samplers that report call it once per network
 * evaluation, on the sampling thread, after the step; the phases are measured with {@link
 * System#nanoTime()} around the denoiser call and around the family's update, so {@code
 * networkNanos + updateNanos <= stepNanos}, the rest being bookkeeping (schedule, sigma, copies). A
 * sampler given no listener takes no clock readings.
 */
@FunctionalInterface
public interface StepListener {

  /**
   * One network step.
   *
   * @param step index of the step in the run, from 0 (NFE − 1 for the last)
   * @param networkNanos nanoseconds in {@code Denoiser.forward} (ONNX Runtime or DJL call,
   *     including its input and output copies)
   * @param updateNanos nanoseconds in the family's per-position update: the posterior and its
   *     categorical draw (or the argmax of a greedy final step), over all rows
   * @param stepNanos nanoseconds of the whole step, both phases included
   */
  void step(int step, long networkNanos, long updateNanos, long stepNanos);
}
