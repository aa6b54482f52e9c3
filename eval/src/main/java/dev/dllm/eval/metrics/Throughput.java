package dev.dllm.eval.metrics;

/**
 * Sampling speed as the paper reports it: generated tokens per second of wall clock (all rows of
 * all batches, L tokens each, divided by the sampler's wall time; the batch and thread count are
 * stated with it), network evaluations per sample, and the peak memory while sampling.
 *
 * @param samples number of samples drawn
 * @param tokensPerSample L
 * @param seconds wall clock of the sampler calls only (no decoding or scoring)
 * @param nfePerSample mean NFE per sample
 * @param batch rows sampled together
 * @param threads ONNX Runtime intra-op threads (0 = its default)
 * @param peakRssBytes peak resident set in bytes (-1 unknown)
 * @param peakHeapBytes peak JVM heap in bytes
 * @param rssSinceReset whether the RSS peak covers only this measurement (else the process
 *     lifetime)
 */
public record Throughput(
    int samples,
    int tokensPerSample,
    double seconds,
    double nfePerSample,
    int batch,
    int threads,
    long peakRssBytes,
    long peakHeapBytes,
    boolean rssSinceReset) {

  /** Generated tokens per second: samples · L / seconds. */
  public double tokensPerSecond() {
    return seconds > 0 ? (double) samples * tokensPerSample / seconds : Double.NaN;
  }
}
