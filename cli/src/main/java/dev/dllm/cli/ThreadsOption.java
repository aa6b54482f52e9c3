package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.ThreadCount;
import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * {@code --threads N}, one definition for every command that has it: its help, its range and its
 * warning (issue 19: {@code --threads 1000} ran 14–55× slower without a word).
 *
 * <p>{@code 0} leaves the choice to the engine: PyTorch's default for training (every core) and
 * ONNX Runtime's own choice for sampling and evaluation. Above the machine's cores ({@link
 * Runtime#availableProcessors}) threads compete for them, so a count above the cores prints a
 * warning on standard error (once per process and count), and one above {@link #OVERSUBSCRIPTION} ×
 * the cores is refused (exit 2). The rule itself is {@link ThreadCount}, shared with {@code dllm
 * serve}.
 */
public final class ThreadsOption {
  /** Refused above this many threads per core. */
  static final int OVERSUBSCRIPTION = ThreadCount.OVERSUBSCRIPTION;

  /** Which engine the threads are for: it decides what {@code 0} means. */
  public enum Engine {
    /** PyTorch intra-op threads (DJL training). */
    PYTORCH("PyTorch intra-op threads", "PyTorch's default, every core"),
    /** ONNX Runtime intra-op threads (sampling, scoring). */
    ORT("ONNX Runtime intra-op threads", "ONNX Runtime's choice"),
    /** {@code dllm demo}: the same count for its trainings and its sampling. */
    DEMO("threads for training (PyTorch) and sampling (ONNX Runtime)", null);

    final String what;
    final String zero;

    Engine(String what, String zero) {
      this.what = what;
      this.zero = zero;
    }
  }

  /** Testing aid: forgets which counts were warned about. */
  static void resetWarnings() {
    ThreadCount.resetWarnings();
  }

  private ThreadsOption() {}

  /** The cores the JVM may use. */
  static int cores() {
    return ThreadCount.cores();
  }

  /** The largest accepted {@code --threads}: {@link #OVERSUBSCRIPTION} × {@link #cores}. */
  static int max() {
    return ThreadCount.max();
  }

  /**
   * The {@code --threads} option, {@code 0} accepted.
   *
   * @param defaultText the default, as the help states it (e.g. {@code 0} or {@code all cores})
   */
  public static Option option(Engine engine, String defaultText) {
    return option(engine, defaultText, 0);
  }

  /**
   * The {@code --threads} option; its help states what {@code 0} means (or that it is refused when
   * {@code min} is 1), the warning above the cores, the limit and the default.
   */
  public static Option option(Engine engine, String defaultText, int min) {
    return CliOptions.opt(
        "threads", "N", ThreadCount.help(engine.what, min <= 0 ? engine.zero : null, defaultText));
  }

  /**
   * {@code --threads} in {@code [min, max()]}, or {@code fallback} when it is not given (a fallback
   * is not range-checked: a resumed run keeps its stored count); warns on {@code warn} when the
   * result is above the cores.
   *
   * @throws InvalidInputException naming {@code --threads}, the value and the accepted range
   */
  public static int parse(CommandLine cmd, int fallback, int min, PrintStream warn) {
    String v = cmd.getOptionValue("threads");
    int n = v == null ? fallback : check(v, min);
    warnIfOversubscribed(n, warn);
    return n;
  }

  /** {@link #parse(CommandLine, int, int, PrintStream)} warning on standard error. */
  public static int parse(CommandLine cmd, int fallback, int min) {
    return parse(cmd, fallback, min, System.err);
  }

  /**
   * Parses a {@code --threads} value in {@code [min, max()]}.
   *
   * @throws InvalidInputException naming {@code --threads}, the value and the accepted range
   */
  static int check(String value, int min) {
    return ThreadCount.check(value, min);
  }

  /** Warns (once per process and count) when {@code threads} is above the cores. */
  static void warnIfOversubscribed(int threads, PrintStream warn) {
    ThreadCount.warnIfOversubscribed(threads, warn);
  }
}
