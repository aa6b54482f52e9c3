package dev.dllm.cli.bench;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The runtime sections of {@code dllm bench-sample} (issue 11 §2, §3).
 *
 * <ul>
 *   <li>{@code concurrency}: W sampling tasks (plain ancestral, T steps, B rows each, task i seeded
 *       with i) on one opened model, run serially and then by 1, 2, 4, 8 threads at once; prints
 *       samples/s (W·B / wall seconds) side by side with the ratio to serial, and whether every
 *       task's samples are identical to the serial run.
 *   <li>{@code openclose}: N × (open + one forward + close) without any requested GC; prints the
 *       process RSS, the JVM's direct-buffer pool and the heap in use every N/10 cycles.
 * </ul>
 */
final class RuntimeBench {
  private RuntimeBench() {}

  static Map<String, Object> concurrency(
      DiffusionFamily family,
      OnnxModel model,
      SpecialTokens sp,
      int length,
      int steps,
      int tasks,
      int[] threads,
      int[] batches,
      PrintStream out)
      throws Exception {
    Sampler sampler = plainSampler(family, steps);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("tasks", tasks);
    report.put("steps", steps);
    report.put("length", length);
    for (int b : batches) {
      task(sampler, model, b, length, sp, -1); // warm-up (JIT, buffer pool)
      long t0 = System.nanoTime();
      List<int[]> serial = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        serial.add(task(sampler, model, b, length, sp, i).tokens().ids());
      }
      double serialSeconds = (System.nanoTime() - t0) / 1e9;
      double serialRate = tasks * b / serialSeconds;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("serial_samples_per_second", serialRate);
      StringBuilder line =
          new StringBuilder(
              String.format(
                  "concurrency B=%d (%d tasks, T=%d, L=%d): serial %.2f samples/s",
                  b, tasks, steps, length, serialRate));
      boolean identical = true;
      for (int c : threads) {
        ExecutorService pool = Executors.newFixedThreadPool(c);
        try {
          long t1 = System.nanoTime();
          List<Future<SampleBatch>> futures = new ArrayList<>();
          for (int i = 0; i < tasks; i++) {
            int seed = i;
            futures.add(pool.submit(() -> task(sampler, model, b, length, sp, seed)));
          }
          for (int i = 0; i < tasks; i++) {
            identical &= Arrays.equals(serial.get(i), futures.get(i).get().tokens().ids());
          }
          double seconds = (System.nanoTime() - t1) / 1e9;
          double rate = tasks * b / seconds;
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("samples_per_second", rate);
          r.put("ratio_to_serial", rate / serialRate);
          row.put("threads_" + c, r);
          line.append(String.format(" | %d: %.2f (x%.2f)", c, rate, rate / serialRate));
        } finally {
          pool.shutdownNow();
        }
      }
      row.put("identical_to_serial", identical);
      line.append(identical ? " | identical to serial" : " | DIFFERENT from serial");
      out.println(line);
      report.put("batch_" + b, row);
    }
    return report;
  }

  /** A fixed-NFE sampler where the family has predictors (MDLM), its default otherwise. */
  private static Sampler plainSampler(DiffusionFamily family, int steps) {
    try {
      return family.newSampler(new SamplerSpec(steps, 1.0, Map.of("predictor", "ancestral")));
    } catch (InvalidInputException e) {
      return family.newSampler(new SamplerSpec(steps, 1.0, Map.of()));
    }
  }

  private static SampleBatch task(
      Sampler sampler, OnnxModel model, int batch, int length, SpecialTokens sp, long seed) {
    return sampler.sample(model.denoiser(), batch, length, sp, new Rng(seed));
  }

  static Map<String, Object> openClose(Path export, OrtConfig ort, int cycles, PrintStream out)
      throws Exception {
    BufferPoolMXBean direct = null;
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        direct = b;
      }
    }
    List<Map<String, Object>> series = new ArrayList<>();
    int every = Math.max(1, cycles / 10);
    for (int i = 1; i <= cycles; i++) {
      try (OnnxModel m = OnnxModel.open(export, ort)) {
        int l = Math.max(2, m.metadata().seqLen());
        m.denoiser().forward(new TokenBatch(new int[l], 1, l), null);
      }
      if (i == 1 || i % every == 0) {
        Runtime rt = Runtime.getRuntime();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cycle", i);
        p.put("rss_mb", rssMb());
        p.put("direct_buffers", direct == null ? -1 : direct.getCount());
        p.put("direct_mb", direct == null ? -1 : direct.getMemoryUsed() / 1e6);
        p.put("heap_used_mb", (rt.totalMemory() - rt.freeMemory()) / 1e6);
        p.put("heap_committed_mb", rt.totalMemory() / 1e6);
        series.add(p);
        out.printf(
            "open+forward+close %4d: RSS %.1f MB, %s direct buffers (%.2f MB), heap %.1f MB used"
                + " of %.1f MB committed%n",
            i,
            p.get("rss_mb"),
            p.get("direct_buffers"),
            p.get("direct_mb"),
            p.get("heap_used_mb"),
            p.get("heap_committed_mb"));
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("cycles", cycles);
    report.put("series", series);
    // the first point includes one-time warm-up (class loading, ONNX Runtime's arenas)
    Map<String, Object> warm = series.get(Math.min(1, series.size() - 1));
    Map<String, Object> end = series.get(series.size() - 1);
    double first = (double) warm.get("rss_mb");
    double last = (double) end.get("rss_mb");
    double heapGrowth =
        (double) end.get("heap_committed_mb") - (double) warm.get("heap_committed_mb");
    report.put("rss_change_percent", 100 * (last - first) / first);
    report.put("rss_change_without_heap_growth_percent", 100 * (last - first - heapGrowth) / first);
    out.printf(
        "RSS change from cycle %s to %d: %+.1f%% (%+.1f%% without the Java heap's growth of %.1f"
            + " MB)%n",
        warm.get("cycle"),
        cycles,
        100 * (last - first) / first,
        100 * (last - first - heapGrowth) / first,
        heapGrowth);
    return report;
  }

  /**
   * A comma list of positive integers.
   *
   * @throws InvalidInputException naming the option
   */
  static int[] intList(String text, String option) {
    try {
      int[] v =
          java.util.Arrays.stream(text.split(","))
              .mapToInt(x -> Integer.parseInt(x.trim()))
              .toArray();
      for (int x : v) {
        if (x < 1) {
          throw new NumberFormatException();
        }
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "--" + option + " takes positive integers separated by commas, got '" + text + "'");
    }
  }

  static double rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  /** Mean seconds per call after one warm-up call. */
  static double timeCalls(java.util.function.Supplier<?> call, int repeats) {
    call.get();
    long t0 = System.nanoTime();
    for (int i = 0; i < repeats; i++) {
      call.get();
    }
    return (System.nanoTime() - t0) / 1e9 / repeats;
  }
}
