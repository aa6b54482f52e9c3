package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/**
 * The up-front check of {@code --num-samples} ({@code dllm eval}, {@code dllm pareto}): every
 * sample of a point is held on the Java heap until it is scored, so N samples of L tokens need
 * about N · (L · {@link #BYTES_PER_TOKEN} + {@link #BYTES_PER_SAMPLE}) bytes: the sample's own
 * {@code int} ids (4 bytes/token), its scored copy without PAD/MASK (4), the scorer's chunk copy
 * (4) and the chunk's BOS-prefixed or retokenized copy (4), plus array headers and list references.
 * The logits buffers are not part of it: they are {@code [batch, L, V]} and bounded by {@code
 * --batch}, not by N. A request is refused (exit 2) when that estimate exceeds half of the maximum
 * heap ({@link Runtime#maxMemory()}, {@code -Xmx}), leaving the other half for the eval text, the
 * likelihood batches and the forward buffers; so 10^9 samples fail in milliseconds, not with an
 * OutOfMemoryError after minutes of sampling.
 */
public final class SampleBudget {
  /** Heap bytes per sampled token held until scoring (four {@code int} copies). */
  public static final long BYTES_PER_TOKEN = 16;

  /** Heap bytes per sample besides its tokens (array headers, list references). */
  public static final long BYTES_PER_SAMPLE = 96;

  private SampleBudget() {}

  /** Estimated heap bytes of {@code n} samples of {@code length} tokens. */
  public static long bytes(long n, int length) {
    return n * (length * BYTES_PER_TOKEN + BYTES_PER_SAMPLE);
  }

  /** The most samples of {@code length} tokens that fit in half of {@code maxHeapBytes}. */
  public static long maxSamples(int length, long maxHeapBytes) {
    return (maxHeapBytes / 2) / (length * BYTES_PER_TOKEN + BYTES_PER_SAMPLE);
  }

  /** {@link #check(long, int, long, String)} against this JVM's {@link Runtime#maxMemory()}. */
  public static void check(long n, int length, String model) {
    check(n, length, Runtime.getRuntime().maxMemory(), model);
  }

  /**
   * Refuses {@code n} samples of {@code length} tokens when their estimated heap exceeds half of
   * {@code maxHeapBytes}.
   *
   * @param n requested samples per point
   * @param length tokens per sample (the model's sequence length)
   * @param maxHeapBytes the JVM's maximum heap in bytes
   * @param model the model folder, for the message
   * @throws InvalidInputException naming {@code --num-samples}, the estimate and the limit
   */
  public static void check(long n, int length, long maxHeapBytes, String model) {
    long max = maxSamples(length, maxHeapBytes);
    if (n > max) {
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "--num-samples %d is too large for %s: %d samples of %d tokens are held in memory"
                  + " until scored, about %.1f GiB (%d bytes/token + %d bytes/sample), over half"
                  + " of the Java heap (-Xmx %.1f GiB); use at most %d samples or a larger -Xmx",
              n,
              model,
              n,
              length,
              bytes(n, length) / (double) (1L << 30),
              BYTES_PER_TOKEN,
              BYTES_PER_SAMPLE,
              maxHeapBytes / (double) (1L << 30),
              max));
    }
  }
}
