package dev.dllm.api.progress;

/**
 * One phase of work with a known number of units (validation batches, likelihood rows, samples,
 * scored chunks) that says how far it got, so that no phase longer than about 10 s is silent (issue
 * 19 item 4). Made by a {@link ProgressReporter}; a terminal shows a bar, a log gets plain lines
 * ({@link LineProgress}). Not thread-safe: one thread advances a phase.
 */
public interface Progress extends AutoCloseable {
  /** A phase that reports nothing. */
  Progress NONE =
      new Progress() {
        @Override
        public void advance(long units) {}

        @Override
        public void close() {}
      };

  /**
   * Records that {@code units} more units are done.
   *
   * @param units at least 0
   */
  void advance(long units);

  /** Ends the phase (also when it stops early); a second call does nothing. */
  @Override
  void close();
}
