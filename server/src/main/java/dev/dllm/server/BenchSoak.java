package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code dllm bench-serve --soak SECONDS}: C clients send the bench workload (request k with seed
 * k) back to back for SECONDS; every {@code --rss-every} seconds the resident set of the process
 * ({@code VmRSS} of {@code /proc/self/status}: the in-process server with its clients) is sampled,
 * from the end of the warm-up (a time and a number of answered requests, whichever comes later),
 * next to the JVM's committed heap (so that growth of the heap can be told from native growth).
 * Prints the samples, the RSS after the warm-up against the RSS at the end (the bar: within ±10%),
 * and the requests sent, answered (200, well formed) and failed: a soak that loses no request has
 * sent = answered and failed = 0. No request is sent after the deadline; the ones in flight are
 * waited for.
 */
final class BenchSoak {
  /** The bar on the RSS change from the end of the warm-up to the end. */
  static final double RSS_BAR = 0.10;

  private BenchSoak() {}

  /** One RSS sample: seconds since the start, kB, requests answered so far. */
  record Sample(double seconds, long rssKb, long answered) {}

  /**
   * The soak's numbers.
   *
   * @param samples RSS samples in time order: the first at the end of the warm-up, the last after
   *     the last answer
   * @param sent requests whose sending began
   * @param answered requests answered 200 with a well-formed completion
   * @param failed requests answered otherwise, malformed, or not answered
   * @param seconds wall time of the whole soak
   */
  record Result(List<Sample> samples, long sent, long answered, long failed, double seconds) {
    /** RSS change from the first sample (end of warm-up) to the last, as a fraction. */
    double rssChange() {
      if (samples.size() < 2 || samples.get(0).rssKb() <= 0) {
        return Double.NaN;
      }
      long first = samples.get(0).rssKb();
      return (samples.get(samples.size() - 1).rssKb() - first) / (double) first;
    }

    /** Whether no request was lost or failed and the RSS stayed within the bar. */
    boolean ok() {
      return failed == 0 && sent == answered && Math.abs(rssChange()) <= RSS_BAR;
    }
  }

  /**
   * {@code VmRSS} of {@code /proc/self/status} in kB.
   *
   * @return empty where the file is absent or has no such line (not Linux)
   */
  static OptionalLong rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  /**
   * Runs the soak.
   *
   * @param send sends request k (seed k) and returns its answer, or null for a failure
   * @param clients concurrent clients, &gt;= 1
   * @param seconds length of the soak, &gt;= 1
   * @param warmupSeconds the first RSS sample is taken no earlier, below {@code seconds}
   * @param warmupRequests nor before this many requests were answered (the JIT and the heap size
   *     follow the work done, not the time: on a loaded machine a fixed time is too short)
   * @param everySeconds RSS sampling interval, &gt;= 1
   * @param rss reads the RSS in kB (empty: not available)
   */
  static Result run(
      RequestSender send,
      int clients,
      int seconds,
      int warmupSeconds,
      int warmupRequests,
      int everySeconds,
      Supplier<OptionalLong> rss,
      PrintStream out)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicLong sent = new AtomicLong();
    AtomicLong answered = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      fs.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < deadline) {
                  int k = next.getAndIncrement();
                  sent.incrementAndGet();
                  if (send.send(k) != null) {
                    answered.incrementAndGet();
                  } else {
                    failed.incrementAndGet();
                  }
                }
              }));
    }
    pool.shutdown();
    out.printf(
        "%10s %10s %14s %10s %10s%n", "seconds", "RSS MB", "heap MB (JVM)", "answered", "failed");
    List<Sample> samples = new ArrayList<>();
    long at = t0 + TimeUnit.SECONDS.toNanos(warmupSeconds);
    while (System.nanoTime() < at) {
      TimeUnit.NANOSECONDS.sleep(Math.max(1, at - System.nanoTime()));
    }
    while (answered.get() + failed.get() < warmupRequests && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    at = Math.max(at, System.nanoTime());
    if (answered.get() + failed.get() < warmupRequests) {
      out.printf("the warm-up (%d requests) did not end within the soak%n", warmupRequests);
      at = deadline + 1;
    }
    while (at <= deadline) {
      long wait = at - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      OptionalLong kb = rss.get();
      Sample s = new Sample((System.nanoTime() - t0) / 1e9, kb.orElse(-1), answered.get());
      samples.add(s);
      out.printf(
          "%10.0f %10s %14.1f %10d %10d%n",
          s.seconds(),
          kb.isPresent() ? String.format("%.1f", kb.getAsLong() / 1024.0) : "n/a",
          Runtime.getRuntime().totalMemory() / 1048576.0,
          s.answered(),
          failed.get());
      out.flush();
      at += TimeUnit.SECONDS.toNanos(everySeconds);
    }
    for (Future<?> f : fs) {
      f.get();
    }
    if (!samples.isEmpty()) { // the end: every request answered
      OptionalLong kb = rss.get();
      samples.add(new Sample((System.nanoTime() - t0) / 1e9, kb.orElse(-1), answered.get()));
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    Result r = new Result(samples, sent.get(), answered.get(), failed.get(), wall);
    if (samples.size() >= 2 && samples.get(0).rssKb() > 0) {
      out.printf(
          "RSS after warm-up (%.0f s) %.1f MB, at the end (%.0f s) %.1f MB: %+.1f%% (bar ±%.0f%%)%n",
          samples.get(0).seconds(),
          samples.get(0).rssKb() / 1024.0,
          samples.get(samples.size() - 1).seconds(),
          samples.get(samples.size() - 1).rssKb() / 1024.0,
          100 * r.rssChange(),
          100 * RSS_BAR);
    } else {
      out.println("RSS: not available (no /proc/self/status, or too few samples)");
    }
    out.printf(
        "requests: %d sent, %d answered, %d failed in %.0f s (%.2f req/s)%n",
        r.sent(), r.answered(), r.failed(), wall, r.answered() / wall);
    return r;
  }

  /** Sends request k; null for an error or a malformed answer. */
  @FunctionalInterface
  interface RequestSender {
    JsonNode send(int k);
  }
}
