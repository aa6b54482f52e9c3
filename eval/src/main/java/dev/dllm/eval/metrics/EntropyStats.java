package dev.dllm.eval.metrics;

import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.List;

/**
 * Sample entropy as reported (spec §6.3, [SD] metrics.py {@code record_entropy}): the mean over
 * samples of the unigram entropy (nats) of each sample's own {@link ScoredIds} (all ids minus PAD
 * and MASK: exactly the ids gen PPL scores), computed by {@link SampleEntropy}. Also the reference
 * the entropy-collapse flag compares against: the same statistic over windows of real validation
 * text of the same length.
 */
public final class EntropyStats {
  private EntropyStats() {}

  /**
   * Mean unigram entropy in nats over {@code samples} (each the ids of one sample, any length),
   * each over its {@link ScoredIds}; a sample with no scored id counts as entropy 0.
   *
   * @param specials the samples' tokenizer's special ids (PAD and MASK are skipped)
   * @return NaN for an empty list
   */
  public static double mean(List<int[]> samples, SpecialTokens specials) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (int[] sample : samples) {
      int[] s = ScoredIds.of(sample, specials);
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
