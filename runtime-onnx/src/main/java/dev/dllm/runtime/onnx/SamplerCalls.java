package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.SampleBatch;
import java.util.function.Supplier;

/**
 * One sampler call of {@link DllmGenerator} with its failures translated: a family without
 * conditional generation becomes an {@link InvalidInputException}, any other failure an {@link
 * IllegalStateException} naming the samples of the batch.
 */
final class SamplerCalls {
  private SamplerCalls() {}

  /**
   * Runs {@code draw}, the batch of samples {@code done} … {@code done + b − 1} of {@code n}.
   *
   * @throws InvalidInputException as thrown, or when the family does not implement conditional
   *     generation
   * @throws IllegalStateException when the sampler fails otherwise
   */
  static SampleBatch call(OnnxModel model, int done, int b, int n, Supplier<SampleBatch> draw) {
    try {
      return draw.get();
    } catch (InvalidInputException e) {
      throw e;
    } catch (UnsupportedOperationException e) {
      throw new InvalidInputException(
          "family "
              + model.family().name()
              + " does not implement conditional generation (prompts, infilling, max new tokens)"
              + " in this build: "
              + firstLine(e.getMessage()),
          e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          String.format(
              "sampling failed in the batch of samples %d-%d of %d; no samples are returned: %s",
              done, done + b - 1, n, firstLine(e.getMessage())),
          e);
    }
  }

  /** The first line of {@code s}, stripped ("" for none; "null" for null). */
  static String firstLine(String s) {
    return String.valueOf(s).lines().findFirst().orElse("").strip();
  }
}
