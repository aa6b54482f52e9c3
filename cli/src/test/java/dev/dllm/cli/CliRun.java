package dev.dllm.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code dllm} in process for the cli tests ({@link Main#run}), capturing stdout (kept across
 * runs) and stderr (cleared before each run) as UTF-8; and the command line of the tiny CPU
 * training run the tests share.
 */
final class CliRun {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** {@link Main#run} on {@code args}; returns its exit code. */
  int run(String... args) {
    err.reset();
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** Forgets what stdout held, for a test that reads one run's stdout on its own. */
  void clearOut() {
    out.reset();
  }

  /** Everything written to stdout so far. */
  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  /** What the last run wrote to stderr. */
  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /**
   * {@code dllm train --family F} for 2 steps of B 4 × L 16 at preset xxs on 1 thread with 1
   * validation batch, into {@code out}, then {@code extra}.
   */
  static String[] tinyTrain(String family, Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--family",
                family,
                "--preset",
                "xxs",
                "--seq-len",
                "16",
                "--batch",
                "4",
                "--steps",
                "2",
                "--threads",
                "1",
                "--val-batches",
                "1",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }
}
