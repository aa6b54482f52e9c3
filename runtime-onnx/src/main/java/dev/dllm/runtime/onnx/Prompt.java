package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import java.util.Objects;

/**
 * One generation request of {@link GenerateOptions#prompts()}: a prompt to continue, or a gap to
 * fill between a prefix and a suffix (fill-in-the-middle).
 *
 * <p>The prefix is given at positions 0 … P − 1 of the row, then {@code length} generated positions
 * (or {@link GenerateOptions#maxNewTokens()} when 0), then the suffix. Only families whose sampler
 * {@linkplain dev.dllm.api.sample.Sampler#supportsInfill() supports infilling} accept a non-empty
 * suffix.
 *
 * @param prefix text given before the generated span (the prompt); may be empty
 * @param suffix text given after the generated span; empty for a plain continuation
 * @param length generated tokens of this request, or 0 for the options' {@code maxNewTokens}; an
 *     infill (non-empty suffix) needs an explicit length
 */
public record Prompt(String prefix, String suffix, int length) {
  public Prompt {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(suffix, "suffix");
    if (length < 0) {
      throw new InvalidInputException("the length to generate must be >= 1, got " + length);
    }
    if (!suffix.isEmpty() && length < 1) {
      throw new InvalidInputException(
          "fill-in-the-middle needs the gap's length (>= 1 token), got " + length);
    }
  }

  /** A prompt to continue for {@link GenerateOptions#maxNewTokens()} tokens. */
  public static Prompt of(String text) {
    return new Prompt(text, "", 0);
  }

  /**
   * Fill-in-the-middle: {@code prefix}, {@code middle} generated tokens, {@code suffix}.
   *
   * @throws InvalidInputException when {@code middle < 1}
   */
  public static Prompt infill(String prefix, String suffix, int middle) {
    if (middle < 1) {
      throw new InvalidInputException("the gap to fill must be >= 1 token, got " + middle);
    }
    return new Prompt(prefix, suffix, middle);
  }

  /** Whether given text follows the generated span. */
  public boolean isInfill() {
    return !suffix.isEmpty();
  }
}
