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
   * wall-clock seconds and the run folder (made relative to the sweep folder instead), found by
   * their header names.
   */
  static List<String> runsCsv(Path sweep) throws IOException {
    List<String> lines = Files.readAllLines(sweep.resolve("runs.csv"));
    List<String> header = List.of(lines.get(0).split(",", -1));
    int seconds = header.indexOf("seconds");
    int dirColumn = header.indexOf("dir");
    List<String> rows = new ArrayList<>();
    rows.add(lines.get(0));
    for (String line : lines.subList(1, lines.size())) {
      String[] c = line.split(",", -1);
      c[seconds] = "";
      c[dirColumn] =
          sweep.toAbsolutePath().relativize(Path.of(c[dirColumn]).toAbsolutePath()).toString();
      rows.add(String.join(",", c));
    }
    return rows;
  }
}
