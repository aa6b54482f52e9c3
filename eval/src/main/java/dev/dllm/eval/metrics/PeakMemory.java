package dev.dllm.eval.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak memory of this process: the resident set high-water mark ({@code VmHWM} of {@code
 * /proc/self/status}, Linux; it includes ONNX Runtime's native buffers) and the JVM heap pools'
 * peak usage. {@link #reset()} restarts both where the OS allows it (Linux ≥ 4.0: writing {@code 5}
 * to {@code /proc/self/clear_refs}); {@link Snapshot#rssSinceReset()} says whether it did.
 */
public final class PeakMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private PeakMemory() {}

  /**
   * Peak values.
   *
   * @param rssBytes peak resident set in bytes, or -1 when the OS does not report it
   * @param heapBytes sum over heap pools of their peak usage in bytes
   * @param rssSinceReset true when the RSS peak covers only the time since the last reset, false
   *     when it covers the whole process lifetime
   */
  public record Snapshot(long rssBytes, long heapBytes, boolean rssSinceReset) {}

  private static volatile boolean resetWorks;

  /** Restarts the peaks (heap pools always; RSS where the OS allows it). */
  public static void reset() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
    try {
      Files.writeString(CLEAR_REFS, "5");
      resetWorks = true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      resetWorks = false;
    }
  }

  /** The current peaks. */
  public static Snapshot read() {
    long heap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        heap += pool.getPeakUsage().getUsed();
      }
    }
    return new Snapshot(rssPeak(), heap, resetWorks);
  }

  private static long rssPeak() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmHWM:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024; // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
