package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
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

  /** Upper bound on the estimated memory of one sampler call ({@link #samplerBytes}): 8 GiB. */
  public static final long MAX_FORWARD_BYTES = 8L << 30;

  /**
   * A rough estimate of one forward pass's memory in bytes (float32): logits in ONNX Runtime and
   * their Java copy (2·B·L·V), attention scores and probabilities (2·B·H·L²) and activations
   * (16·B·L·D).
   */
  public static long forwardBytes(DitConfig c, int batch, int length) {
    double b = batch;
    double l = length;
    double elems = 2 * b * l * c.vocabSize() + 2 * b * c.heads() * l * l + 16 * b * l * c.hidden();
    return (long) Math.min(Long.MAX_VALUE, 4 * elems);
  }

  /**
   * The buffers of one sampler call of {@code batch} rows of {@code length} tokens: {@link
   * #forwardBytes} plus, for a sampler with a KV cache, the cached keys and values of every block
   * (2·blocks·B·L·D floats).
   */
  public static long samplerBytes(DitConfig c, int batch, int length, boolean kvCache) {
    double kv = kvCache ? 4.0 * 2 * c.blocks() * batch * (double) length * c.hidden() : 0;
    return (long) Math.min(Long.MAX_VALUE, forwardBytes(c, batch, length) + kv);
  }

  /**
   * The largest power of two B &le; {@code n} whose sampler buffers ({@link #samplerBytes}) fit in
   * {@code boundBytes} and whose logits B·L·V fit in one Java array: the batch at which the paper
   * measures throughput ("the largest power-of-two batch that fits"). 1 when even one row does not
   * fit (the sampler then refuses the request itself).
   *
   * @throws IllegalArgumentException when {@code n} or {@code length} is below 1
   */
  public static int maxBatch(DitConfig c, int n, int length, boolean kvCache, long boundBytes) {
    if (n < 1 || length < 1) {
      throw new IllegalArgumentException("n and length must be >= 1, got " + n + ", " + length);
    }
    int b = Integer.highestOneBit(n);
    while (b > 1
        && (samplerBytes(c, b, length, kvCache) > boundBytes
            || (double) b * length * c.vocabSize() >= Integer.MAX_VALUE)) {
      b >>= 1;
    }
    return b;
  }

  /**
   * The memory bound of {@link #maxBatch} for an export: {@link #MAX_FORWARD_BYTES}, or less when
   * the memory {@code available} (bytes, 0 = unknown) minus the export's weights ({@link
   * #neededBytes}) is smaller.
   */
  public static long samplerBound(long available, long weightBytes) {
    return available > 0
        ? Math.max(0, Math.min(MAX_FORWARD_BYTES, available - weightBytes))
        : MAX_FORWARD_BYTES;
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
