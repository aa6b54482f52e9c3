package dev.dllm.trainer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Soak test of the training loop (issue 7 §1): N short MDLM trainings (preset {@code xxs}, char
 * tokenizer on the bundled corpus, L = 128, B = 32, 60 steps, seeds 1..N) alternating 1 and 2
 * PyTorch threads, counting the runs that stop with a non-finite loss or gradient norm. Meant to
 * run with a small heap ({@code -Xmx256m}) so that garbage collection is frequent: before the fix,
 * about one run in twenty stopped.
 */
public final class TrainSoak {

  /**
   * @param runs trainings run
   * @param stops runs that stopped with a non-finite loss or gradient norm
   * @param stopped one line per stopped run (seed, threads, message)
   * @param seconds wall time
   * @param maxHeapMib the JVM's max heap while soaking
   */
  public record Result(
      int runs, int stops, List<String> stopped, double seconds, long maxHeapMib) {}

  private TrainSoak() {}

  /**
   * Runs the soak in {@code work} (a fresh folder per run, deleted afterwards).
   *
   * @param runs number of trainings
   * @param steps optimizer steps per training
   * @param out one progress line per run
   */
  public static Result run(int runs, long steps, Path work, PrintStream out) {
    long t0 = System.nanoTime();
    List<String> stopped = new ArrayList<>();
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    for (int i = 0; i < runs; i++) {
      int threads = 1 + (i % 2);
      long seed = i + 1;
      Path dir = work.resolve("run-" + seed);
      TrainConfig config =
          TrainConfig.builder()
              .family("mdlm")
              .preset("xxs")
              .tokenizer("char")
              .seqLen(128)
              .batch(32)
              .steps(steps)
              .threads(threads)
              .seed(seed)
              .valBatches(1)
              .out(dir)
              .build();
      String status;
      try {
        new Trainer(config, quiet).run();
        status = "ok";
      } catch (TrainingDivergedException e) {
        status = "STOP: " + e.getMessage();
        stopped.add("seed " + seed + ", threads " + threads + ": " + e.getMessage());
      } finally {
        deleteTree(dir);
      }
      out.printf("soak %d/%d (seed %d, %d threads): %s%n", i + 1, runs, seed, threads, status);
    }
    return new Result(
        runs,
        stopped.size(),
        stopped,
        (System.nanoTime() - t0) / 1e9,
        Runtime.getRuntime().maxMemory() >> 20);
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
