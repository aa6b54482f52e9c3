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
 * @param spinning whether idle intra-op worker threads spin-wait for the next parallel section
 *     (ONNX Runtime's {@code session.intra_op.allow_spinning}; its own default is on). Off by
 *     default ({@link #DEFAULT_SPINNING}): on a machine whose cores are shared with other processes
 *     a spinning worker takes a core another thread of the same forward needs, and the xs forward
 *     at [8, 256], 2 threads, ran about 3× slower with it under a load average of 12 (issue 20)
 */
public record OrtConfig(String provider, int threads, String optLevel, boolean spinning) {
  /** Idle intra-op threads do not spin by default (see the class comment). */
  public static final boolean DEFAULT_SPINNING = false;

  /** As the canonical constructor, with {@link #DEFAULT_SPINNING}. */
  public OrtConfig(String provider, int threads, String optLevel) {
    this(provider, threads, optLevel, DEFAULT_SPINNING);
  }

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
    return new OrtConfig(p, threads, optLevel, spinning);
  }

  public OrtConfig withThreads(int n) {
    return new OrtConfig(provider, n, optLevel, spinning);
  }

  public OrtConfig withOptLevel(String level) {
    return new OrtConfig(provider, threads, level, spinning);
  }

  public OrtConfig withSpinning(boolean spin) {
    return new OrtConfig(provider, threads, optLevel, spin);
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
