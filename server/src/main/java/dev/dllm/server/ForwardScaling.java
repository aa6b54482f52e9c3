package dev.dllm.server;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The section of {@code dllm bench-serve} that explains its ratio: the raw network call {@code [B,
 * L]} of the served export at several batch sizes B, timed in one run, round-robin over B (so a
 * load change on a shared machine hits every B alike), with the cost per row relative to B = 1.
 * When the cost per row at B = 8 is close to the B = 1 cost, batching alone cannot raise the
 * throughput: the network call is the work, and it is already using every core at B = 1.
 */
final class ForwardScaling {
  private ForwardScaling() {}

  /** One batch size's timing: median milliseconds per call. */
  record Point(int batch, double millisPerCall) {
    double millisPerRow() {
      return millisPerCall / batch;
    }
  }

  /**
   * Parses {@code --forward-batches}: a comma list of batch sizes in [1, 256], or {@code none}.
   *
   * @throws InvalidInputException naming the option for anything else
   */
  static int[] parse(String list) {
    if (list.equals("none")) {
      return new int[0];
    }
    try {
      int[] bs =
          Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
      for (int b : bs) {
        if (b < 1 || b > 256) {
          throw new NumberFormatException();
        }
      }
      return bs;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "--forward-batches: expected a comma list of batch sizes 1..256 or 'none', got '"
              + list
              + "'");
    }
  }

  /**
   * Times {@code repeats} calls {@code [B, length]} for every B of {@code batches} (after one
   * untimed warm-up call each), round-robin.
   *
   * @param mask the id every position is fed (the fully masked canvas z_1)
   * @return one point per batch size, in the given order (median of the repeats)
   */
  static List<Point> time(Denoiser d, int length, int mask, int[] batches, int repeats) {
    TokenBatch[] inputs = new TokenBatch[batches.length];
    long[][] nanos = new long[batches.length][repeats];
    for (int i = 0; i < batches.length; i++) {
      int[] ids = new int[batches[i] * length];
      Arrays.fill(ids, mask);
      inputs[i] = new TokenBatch(ids, batches[i], length);
      d.forward(inputs[i], null);
    }
    for (int r = 0; r < repeats; r++) {
      for (int i = 0; i < batches.length; i++) {
        long t0 = System.nanoTime();
        d.forward(inputs[i], null);
        nanos[i][r] = System.nanoTime() - t0;
      }
    }
    List<Point> out = new ArrayList<>();
    for (int i = 0; i < batches.length; i++) {
      long[] s = nanos[i].clone();
      Arrays.sort(s);
      out.add(new Point(batches[i], s[s.length / 2] / 1e6));
    }
    return out;
  }

  /** Prints the points: ms per call, ms per row, and the per-row cost relative to the first. */
  static void print(PrintStream out, int length, List<Point> points) {
    if (points.isEmpty()) {
      return;
    }
    out.printf(
        "network call [B, %d] (median of the repeats): %6s %10s %10s %14s%n",
        length, "B", "ms/call", "ms/row", "row cost vs B1");
    double base = points.get(0).millisPerRow();
    for (Point p : points) {
      out.printf(
          "%47s %6d %10.2f %10.2f %13.2fx%n",
          "", p.batch(), p.millisPerCall(), p.millisPerRow(), p.millisPerRow() / base);
    }
  }
}
