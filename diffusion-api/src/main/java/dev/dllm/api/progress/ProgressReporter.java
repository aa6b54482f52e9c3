package dev.dllm.api.progress;

import java.io.PrintStream;

/**
 * Starts the {@link Progress} of a phase. Library code (trainer validation, eval's likelihood pass,
 * sampling, gen-PPL scoring) takes one and the front end chooses how progress looks: a bar on a
 * terminal, plain lines in a log ({@link #lines}), or nothing ({@link #NONE}).
 */
@FunctionalInterface
public interface ProgressReporter {
  /** Reports nothing. */
  ProgressReporter NONE = (phase, total, unit) -> Progress.NONE;

  /**
   * Starts a phase.
   *
   * @param phase what runs, as it should read on the console ({@code "validation"})
   * @param total units the phase will do, at least 1
   * @param unit the unit's plural name ({@code "batches"})
   */
  Progress start(String phase, long total, String unit);

  /**
   * Plain lines on {@code out}, at most every {@link LineProgress#INTERVAL_NANOS} (10 s) of a phase
   * ({@link LineProgress}), on the system clock.
   */
  static ProgressReporter lines(PrintStream out) {
    return LineProgress.reporter(out, System::nanoTime);
  }
}
