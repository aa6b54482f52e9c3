package dev.dllm.api.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress as plain lines, for logs and pipes (no terminal control codes). When a unit completes
 * {@link #INTERVAL_NANOS} (10 s) or more after the phase started or after its previous line, one
 * line says how far the phase got: {@code validation: 12/40 batches (30%), 0m24s, eta 0m56s} (the
 * ETA assumes the remaining units take as long as the done ones on average). A phase that printed
 * such a line prints a last one when it closes: {@code validation: 40/40 batches in 1m20s}. A phase
 * shorter than 10 s prints nothing. Lines come as units complete, so a single unit longer than 10 s
 * is still silent while it runs.
 */
public final class LineProgress implements Progress {
  /** Longest silence between two lines while units complete: 10 s, in nanoseconds. */
  public static final long INTERVAL_NANOS = 10_000_000_000L;

  private final PrintStream out;
  private final LongSupplier clock;
  private final String phase;
  private final long total;
  private final String unit;
  private final long startNanos;
  private long lastLineNanos;
  private long done;
  private boolean printed;
  private boolean closed;

  private LineProgress(PrintStream out, LongSupplier clock, String phase, long total, String unit) {
    this.out = out;
    this.clock = clock;
    this.phase = phase;
    this.total = total;
    this.unit = unit;
    this.startNanos = clock.getAsLong();
    this.lastLineNanos = startNanos;
  }

  /**
   * A reporter of plain lines on {@code out}.
   *
   * @param clock nanoseconds (tests pass a fake one; {@code System::nanoTime} otherwise)
   */
  public static ProgressReporter reporter(PrintStream out, LongSupplier clock) {
    return (phase, total, unit) -> new LineProgress(out, clock, phase, total, unit);
  }

  @Override
  public void advance(long units) {
    if (closed) {
      return;
    }
    done += units;
    long now = clock.getAsLong();
    if (now - lastLineNanos >= INTERVAL_NANOS) {
      double secs = (now - startNanos) / 1e9;
      double eta = done > 0 ? Math.max(0, total - done) * secs / done : Double.NaN;
      out.printf(
          Locale.ROOT,
          "%s: %d/%d %s (%.0f%%), %s, eta %s%n",
          phase,
          done,
          total,
          unit,
          100.0 * done / total,
          human(secs),
          Double.isNaN(eta) ? "-" : human(eta));
      out.flush();
      lastLineNanos = now;
      printed = true;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (printed) {
      double secs = (clock.getAsLong() - startNanos) / 1e9;
      out.printf(Locale.ROOT, "%s: %d/%d %s in %s%n", phase, done, total, unit, human(secs));
      out.flush();
    }
  }

  /** {@code 1m05s}, or {@code 2h03m} from an hour on. */
  public static String human(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
