package dev.dllm.trainer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Training progress: a progress bar (me.tongfei progressbar) when the JVM has a terminal, plain
 * lines otherwise ({@code step 10/127 loss 3.2134 lr 1.00e-03 tok/s 8123 eta 1m02s}): after the
 * first step, every {@code logEvery} steps, at the last step, and whenever {@link
 * #MAX_SILENCE_NANOS} (10 s) have passed since the previous line, so that a log never stays silent
 * longer than a step beyond 10 s. Validation runs between {@link #pause()} and {@link #resume()}
 * (the bar stops redrawing so the validation's own progress can show), and paused time counts in
 * neither tokens/s nor the ETA.
 */
final class ProgressLog implements AutoCloseable {
  /** Longest gap between two plain lines: 10 s. */
  static final long MAX_SILENCE_NANOS = 10_000_000_000L;

  private final PrintStream out;
  private final long total;
  private final long logEvery;
  private final ProgressBar bar;
  private final long startStep;
  private final LongSupplier clock;
  private final long startNanos;
  private long lastLineNanos;
  private long pausedNanos;
  private long pausedAt = -1;

  ProgressLog(PrintStream out, long startStep, long total, long logEvery, boolean tty) {
    this(out, startStep, total, logEvery, tty, System::nanoTime);
  }

  /** With a clock in nanoseconds (tests). */
  ProgressLog(
      PrintStream out, long startStep, long total, long logEvery, boolean tty, LongSupplier clock) {
    this.clock = clock;
    this.startNanos = clock.getAsLong();
    this.lastLineNanos = startNanos;
    this.out = out;
    this.total = total;
    this.logEvery = Math.max(1, logEvery);
    this.startStep = startStep;
    this.bar =
        tty
            ? new ProgressBarBuilder()
                .setTaskName("train")
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(out))
                .startsFrom(startStep, Duration.ZERO)
                .setUpdateIntervalMillis(500)
                .build()
            : null;
  }

  /** Reports the end of 0-based step {@code step}. */
  void step(long step, double loss, double lr, long tokensPerStep) {
    long done = step + 1;
    long now = clock.getAsLong();
    double secs = (now - startNanos - pausedNanos) / 1e9;
    double tokPerSec = (done - startStep) * (double) tokensPerStep / Math.max(secs, 1e-9);
    double eta = (total - done) * secs / Math.max(1, done - startStep);
    String msg =
        String.format(
            Locale.ROOT, "loss %s lr %.2e tok/s %.0f", LossFormat.fourPlaces(loss), lr, tokPerSec);
    if (bar != null) {
      bar.stepTo(done);
      bar.setExtraMessage(msg);
    } else if (done % logEvery == 0
        || done == total
        || done == startStep + 1
        || now - lastLineNanos >= MAX_SILENCE_NANOS) {
      out.printf(Locale.ROOT, "step %d/%d %s eta %s%n", done, total, msg, human(eta));
      out.flush();
      lastLineNanos = now;
    }
  }

  /** A line outside the bar (validation, checkpoints). */
  void info(String line) {
    if (bar == null) {
      out.println(line);
      lastLineNanos = clock.getAsLong();
    } else {
      bar.pause();
      out.println();
      out.println(line);
      bar.resume();
    }
  }

  /** Stops the bar (and the step clock) while another phase (validation) shows its progress. */
  void pause() {
    if (pausedAt >= 0) {
      return;
    }
    pausedAt = clock.getAsLong();
    if (bar != null) {
      bar.pause();
      out.println();
    }
  }

  /** Continues after {@link #pause()}. */
  void resume() {
    if (pausedAt < 0) {
      return;
    }
    pausedNanos += clock.getAsLong() - pausedAt;
    pausedAt = -1;
    if (bar != null) {
      bar.resume();
    }
  }

  static String human(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format("%dm%02ds", s / 60, s % 60);
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
