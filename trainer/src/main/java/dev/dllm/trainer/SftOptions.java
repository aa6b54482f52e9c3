package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;
import dev.dllm.data.sft.SftPairs;
import java.nio.file.Path;

/**
 * Supervised fine-tuning on prompt/response pairs ({@code dllm finetune}): {@link
 * TrainConfig#data()} is a JSONL file of pairs ({@link SftPairs}), each pair one block of L with
 * the prompt given ({@link dev.dllm.data.sft.SftBlocks}); the held-out pairs are {@code valData} or
 * a fixed {@code valFraction} of the data. A {@link TrainConfig} with {@code sft} null pre-trains
 * on a corpus.
 *
 * @param valData JSONL file of held-out pairs, or null to hold out {@code valFraction} of the data
 * @param valFraction held-out share of the data in (0, 0.5] when {@code valData} is null
 * @param maxSkipPercent refuse a file where more than this % of pairs do not fit L (0..100)
 */
public record SftOptions(Path valData, double valFraction, double maxSkipPercent) {
  /** Default held-out share of the data. */
  public static final double DEFAULT_VAL_FRACTION = 0.05;

  /** Default bound on skipped (too long) pairs, in %. */
  public static final double DEFAULT_MAX_SKIP = 5.0;

  /** The defaults: 5% held out, at most 5% skipped. */
  public static final SftOptions DEFAULT =
      new SftOptions(null, DEFAULT_VAL_FRACTION, DEFAULT_MAX_SKIP);

  /** The prompt/response templates ({@link SftPairs#TEMPLATE}), stored with the run's options. */
  public static final String TEMPLATE = SftPairs.TEMPLATE;

  /** Checks the ranges. */
  public SftOptions {
    if (!(valFraction > 0 && valFraction <= 0.5)) {
      throw new InvalidInputException("--val-fraction must be in (0, 0.5], got " + valFraction);
    }
    if (!(maxSkipPercent >= 0 && maxSkipPercent <= 100)) {
      throw new InvalidInputException("--max-skip must be in [0, 100] (%), got " + maxSkipPercent);
    }
  }
}
