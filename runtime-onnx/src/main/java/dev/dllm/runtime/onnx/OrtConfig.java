package dev.dllm.runtime.onnx;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/**
 * How ONNX Runtime sessions are created.
 *
 * @param provider {@code cpu} (default) or {@code cuda} (falls back to CPU with a one-line warning
 *     when the CUDA provider or the session creation fails; needs the {@code -Pcuda} build)
 * @param threads intra-op threads; 0 lets ONNX Runtime choose
 * @param optLevel graph optimisation level: {@code none}, {@code basic} (default; the fastest in
 *     ecosystem.md §3), {@code extended} or {@code all}
 */
public record OrtConfig(String provider, int threads, String optLevel) {
  public OrtConfig {
    provider = provider.toLowerCase(Locale.ROOT);
    optLevel = optLevel.toLowerCase(Locale.ROOT);
    if (!provider.equals("cpu") && !provider.equals("cuda")) {
      throw new InvalidInputException("--provider must be cpu or cuda, got '" + provider + "'");
    }
    if (threads < 0) {
      throw new InvalidInputException("--threads must be >= 0, got " + threads);
    }
    level(optLevel);
  }

  /** CPU, ONNX Runtime's thread count, basic optimisations. */
  public static OrtConfig defaults() {
    return new OrtConfig("cpu", 0, "basic");
  }

  public OrtConfig withProvider(String p) {
    return new OrtConfig(p, threads, optLevel);
  }

  public OrtConfig withThreads(int n) {
    return new OrtConfig(provider, n, optLevel);
  }

  /** The accepted graph optimisation levels, in increasing order. */
  public static final java.util.List<String> OPT_LEVELS =
      java.util.List.of("none", "basic", "extended", "all");

  /** The default graph optimisation level (the fastest in dllm's measurements). */
  public static final String DEFAULT_OPT_LEVEL = "basic";

  /** The ONNX Runtime level for {@link #optLevel}. */
  OptLevel level() {
    return level(optLevel);
  }

  private static OptLevel level(String name) {
    return switch (name) {
      case "none" -> OptLevel.NO_OPT;
      case "basic" -> OptLevel.BASIC_OPT;
      case "extended" -> OptLevel.EXTENDED_OPT;
      case "all" -> OptLevel.ALL_OPT;
      default ->
          throw new InvalidInputException(
              "optimisation level must be none, basic, extended or all, got '" + name + "'");
    };
  }
}
