package dev.dllm.spark;

import dev.dllm.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code dllm} commands in the test JVM and reads what they wrote. */
final class CliRuns {
  private CliRuns() {}

  /** Exit code and console of one command. */
  record Outcome(int rc, String out, String err) {}

  static Outcome run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        Main.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * The rows of {@code runs.csv} without the two columns that differ between two equal sweeps: the
   * wall-clock seconds and the run folder (made relative to the sweep folder instead).
   */
  static List<String> runsCsv(Path sweep) throws IOException {
    List<String> rows = new ArrayList<>();
    for (String line : Files.readAllLines(sweep.resolve("runs.csv"))) {
      String[] c = line.split(",", -1);
      String dir = c[c.length - 1];
      String rel =
          dir.equals("dir")
              ? dir
              : sweep.toAbsolutePath().relativize(Path.of(dir).toAbsolutePath()).toString();
      c[c.length - 2] = "";
      c[c.length - 1] = rel;
      rows.add(String.join(",", c));
    }
    return rows;
  }
}
