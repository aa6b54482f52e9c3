package dev.dllm.cli;

import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress of a command's long phases (validation, likelihood, sampling, gen-PPL scoring): a
 * progress bar (me.tongfei progressbar, ASCII, redrawn every 0.5 s) when the command writes to the
 * JVM's terminal, plain lines otherwise ({@link ProgressReporter#lines}: one at least every 10 s of
 * a phase, none for a phase under 10 s), so logs and pipes get no control codes.
 */
final class ConsoleProgress {
  private ConsoleProgress() {}

  /** The reporter for a command writing to {@code out}. */
  static ProgressReporter of(PrintStream out) {
    return out == System.out && System.console() != null
        ? ConsoleProgress::bar
        : ProgressReporter.lines(out);
  }

  private static Progress bar(String phase, long total, String unit) {
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName(phase)
            .setInitialMax(total)
            .setUnit(" " + unit, 1)
            .setStyle(ProgressBarStyle.ASCII)
            .setConsumer(new ConsoleProgressBarConsumer(System.out))
            .setUpdateIntervalMillis(500)
            .setMaxRenderedLength(120)
            .startsFrom(0, Duration.ZERO)
            .build();
    return new Progress() {
      private boolean closed;

      @Override
      public void advance(long units) {
        if (!closed) {
          bar.stepBy(units);
        }
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          bar.close();
        }
      }
    };
  }
}
