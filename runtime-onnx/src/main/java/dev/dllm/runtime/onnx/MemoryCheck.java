package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Says before any session opens whether an export's weights fit in this machine's memory: every
 * ONNX Runtime session holds its own copy of the initializers, so the graphs need the sum of their
 * file sizes plus, for an export with external data ({@link ExportMetadata#EXTERNAL_DATA_FILE}),
 * the weights file once per graph. Compared with the memory available now ({@code MemAvailable} of
 * {@code /proc/meminfo}, else the JVM's free physical memory).
 */
public final class MemoryCheck {
  private MemoryCheck() {}

  /** System property with the available bytes to assume (tests, or to override the probe). */
  public static final String AVAILABLE_PROPERTY = "dllm.runtime.available-bytes";

  /** Bytes the sessions over {@code graphs} need for their weights. */
  public static long neededBytes(Path dir, List<Path> graphs) throws IOException {
    long need = 0;
    for (Path g : graphs) {
      need += Files.size(g);
    }
    Path data = dir.resolve(ExportMetadata.EXTERNAL_DATA_FILE);
    if (Files.isRegularFile(data)) {
      need += graphs.size() * Files.size(data);
    }
    return need;
  }

  /**
   * @throws InvalidInputException naming the export, the bytes needed and available, when the
   *     weights do not fit in {@code available} bytes
   */
  public static void check(Path dir, List<Path> graphs, long available) throws IOException {
    long need = neededBytes(dir, graphs);
    if (available > 0 && need > available) {
      List<String> names = new ArrayList<>();
      graphs.forEach(g -> names.add(g.getFileName().toString()));
      if (Files.isRegularFile(dir.resolve(ExportMetadata.EXTERNAL_DATA_FILE))) {
        names.add(ExportMetadata.EXTERNAL_DATA_FILE + " (once per graph)");
      }
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "export %s needs about %.2f GB of memory for its weights (%s), but this machine has"
                  + " %.2f GB available; use a machine with more memory or a smaller model",
              dir,
              need / 1e9,
              String.join(", ", names),
              available / 1e9));
    }
  }

  /** Memory available for new allocations now, in bytes (0 when unknown). */
  public static long availableBytes() {
    Long forced = Long.getLong(AVAILABLE_PROPERTY);
    if (forced != null) {
      return forced;
    }
    try {
      for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (l.startsWith("MemAvailable:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getFreeMemorySize();
    }
    return 0;
  }
}
