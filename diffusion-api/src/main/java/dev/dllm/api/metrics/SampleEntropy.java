package dev.dllm.api.metrics;

import java.util.Arrays;

/**
 * Unigram entropy of one generated sample over its own token ids (spec §6.3, [SD] metrics.py {@code
 * record_entropy}): p_v = count(v) / L, H = -Σ p_v ln p_v in nats. Low values flag repetitive or
 * degenerate samples; the reported metric is the mean over samples.
 */
public final class SampleEntropy {
  private SampleEntropy() {}

  /**
   * Entropy of {@code ids[from .. from + length)} in nats (natural log); 0 for an empty range.
   *
   * @throws IllegalArgumentException when the range is outside {@code ids}
   */
  public static double of(int[] ids, int from, int length) {
    if (from < 0 || length < 0 || from + length > ids.length) {
      throw new IllegalArgumentException(
          "range [" + from + ", " + (from + length) + ") outside " + ids.length + " ids");
    }
    if (length == 0) {
      return 0;
    }
    int[] sorted = Arrays.copyOfRange(ids, from, from + length);
    Arrays.sort(sorted);
    double h = 0;
    int run = 1;
    for (int i = 1; i <= length; i++) {
      if (i < length && sorted[i] == sorted[i - 1]) {
        run++;
      } else {
        double p = (double) run / length;
        h -= p * Math.log(p);
        run = 1;
      }
    }
    return h;
  }
}
