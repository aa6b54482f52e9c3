package dev.dllm.eval.metrics;

import dev.dllm.api.metrics.SampleEntropy;
import java.util.List;

/**
 * Sample entropy as reported (spec §6.3, [SD] metrics.py {@code record_entropy}): the mean over
 * samples of the unigram entropy (nats) of each sample's own token ids, computed by {@link
 * SampleEntropy}. Also the reference the entropy-collapse flag compares against: the same statistic
 * over windows of real validation text of the same length.
 */
public final class EntropyStats {
  private EntropyStats() {}

  /**
   * Mean unigram entropy in nats over {@code samples} (each the ids of one sample, any length).
   *
   * @return NaN for an empty list
   */
  public static double mean(List<int[]> samples) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (int[] s : samples) {
      sum += SampleEntropy.of(s, 0, s.length);
    }
    return sum / samples.size();
  }

  /**
   * Mean unigram entropy (nats) of consecutive windows of {@code length} tokens of a real text
   * stream: the reference a sample of that length is compared with ({@code stream.length / length}
   * windows; the remainder is ignored).
   *
   * @throws IllegalArgumentException when the stream is shorter than one window
   */
  public static double ofWindows(int[] stream, int length) {
    int windows = length < 1 ? 0 : stream.length / length;
    if (windows == 0) {
      throw new IllegalArgumentException(
          "text of " + stream.length + " tokens is shorter than one window of " + length);
    }
    double sum = 0;
    for (int w = 0; w < windows; w++) {
      sum += SampleEntropy.of(stream, w * length, length);
    }
    return sum / windows;
  }
}
