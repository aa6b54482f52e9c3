package dev.dllm.api;

import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rule for a thread count given on a command line ({@code --threads N}), shared by the CLI and
 * {@code dllm serve} (issue 19 §6: {@code --threads 1000} ran 14–55× slower without a word).
 *
 * <p>{@code 0} leaves the choice to the engine. Above the machine's cores ({@link
 * Runtime#availableProcessors}) threads compete for them: a count above the cores prints a warning
 * (once per process and count), and one above {@link #OVERSUBSCRIPTION} × the cores is refused.
 */
public final class ThreadCount {
  /** Refused above this many threads per core. */
  public static final int OVERSUBSCRIPTION = 4;

  private static final Set<Integer> WARNED = ConcurrentHashMap.newKeySet();

  private ThreadCount() {}

  /** The cores the JVM may use. */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** The largest accepted count: {@link #OVERSUBSCRIPTION} × {@link #cores}. */
  public static int max() {
    return OVERSUBSCRIPTION * cores();
  }

  /**
   * The help text of {@code --threads}: what it sets, what {@code 0} means (or that it is refused
   * when {@code zero} is null), the warning, the limit and the default.
   */
  public static String help(String what, String zero, String defaultText) {
    return String.format(
        "%s: %s; above the %d cores warns, above %d (%d x cores) is refused (default %s)",
        what,
        zero != null ? "0 = " + zero : "0 is not accepted here",
        cores(),
        max(),
        OVERSUBSCRIPTION,
        defaultText);
  }

  /**
   * Parses a {@code --threads} value in {@code [min, max()]}.
   *
   * @throws InvalidInputException naming {@code --threads}, the value and the accepted range
   */
  public static int check(String value, int min) {
    long n = OptionValues.parseInteger("threads", value, min, Long.MAX_VALUE);
    if (n > max()) {
      throw new InvalidInputException(
          String.format(
              "--threads %d is more than %d x the %d cores of this machine (at most %d); threads"
                  + " beyond the cores compete for them and run slower%s",
              n, OVERSUBSCRIPTION, cores(), max(), min <= 0 ? " (0 lets the engine choose)" : ""));
    }
    return (int) n;
  }

  /** Warns on {@code warn} (once per process and count) when {@code threads} is above the cores. */
  public static void warnIfOversubscribed(int threads, PrintStream warn) {
    if (threads > cores() && WARNED.add(threads)) {
      warn.printf(
          "dllm: warning: --threads %d is more than the %d cores of this machine; threads beyond"
              + " the cores compete for them and usually run slower%n",
          threads, cores());
    }
  }

  /** Testing aid: forgets which counts were warned about. */
  public static void resetWarnings() {
    WARNED.clear();
  }
}
