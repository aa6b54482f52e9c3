package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Family-agnostic options of {@link DllmGenerator#generate}. Immutable; start from {@link
 * #defaults()} and change fields with the {@code with…} methods.
 *
 * @param number samples to draw, N &gt;= 1
 * @param steps denoising steps T &gt;= 1 (causal families such as AR always take L - 1)
 * @param seed random seed; the same seed, options and export give the same samples
 * @param topP nucleus mass in (0, 1]; 1 disables top-p
 * @param batch rows sampled together per network call, or 0 for min(N, 16)
 * @param length block length L the network sees, or 0 for the export's training length
 * @param familyOptions the family's own sampler options, e.g. {@code predictor=ancestral}, {@code
 *     strides=3}, {@code stride_length=128} (MDLM) or {@code kv_cache=false} (AR); an unknown key
 *     is refused by the family
 */
public record GenerateOptions(
    int number,
    int steps,
    long seed,
    double topP,
    int batch,
    int length,
    Map<String, String> familyOptions) {
  public GenerateOptions {
    familyOptions = Map.copyOf(familyOptions);
    if (number < 1) {
      throw new InvalidInputException("number of samples must be >= 1, got " + number);
    }
    if (steps < 1) {
      throw new InvalidInputException("steps must be >= 1, got " + steps);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("top-p must be in (0, 1], got " + topP);
    }
    if (batch < 0) {
      throw new InvalidInputException("batch must be >= 1 (or 0 for the default), got " + batch);
    }
    if (length < 0 || length == 1) {
      throw new InvalidInputException(
          "length must be >= 2 (or 0 for the export's length), got " + length);
    }
  }

  /** One sample, 64 steps, seed 0, no top-p, default batch and length, no family options. */
  public static GenerateOptions defaults() {
    return new GenerateOptions(1, 64, 0L, 1.0, 0, 0, Map.of());
  }

  public GenerateOptions withNumber(int n) {
    return new GenerateOptions(n, steps, seed, topP, batch, length, familyOptions);
  }

  public GenerateOptions withSteps(int t) {
    return new GenerateOptions(number, t, seed, topP, batch, length, familyOptions);
  }

  public GenerateOptions withSeed(long s) {
    return new GenerateOptions(number, steps, s, topP, batch, length, familyOptions);
  }

  public GenerateOptions withTopP(double p) {
    return new GenerateOptions(number, steps, seed, p, batch, length, familyOptions);
  }

  public GenerateOptions withBatch(int b) {
    return new GenerateOptions(number, steps, seed, topP, b, length, familyOptions);
  }

  public GenerateOptions withLength(int l) {
    return new GenerateOptions(number, steps, seed, topP, batch, l, familyOptions);
  }

  /** These options plus the family option {@code key=value}. */
  public GenerateOptions withOption(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(familyOptions);
    m.put(key, value);
    return new GenerateOptions(number, steps, seed, topP, batch, length, m);
  }

  /** The batch actually used: {@link #batch}, or min(N, 16) when 0. */
  public int effectiveBatch() {
    return batch > 0 ? batch : Math.min(number, 16);
  }
}
