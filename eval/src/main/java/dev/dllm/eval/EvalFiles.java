package dev.dllm.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;

/**
 * Atomic writes of reports and charts: a temporary file in the same folder, then a rename, so a
 * crash never leaves a half-written file and an existing file is only replaced by a complete one.
 */
public final class EvalFiles {
  /** Indented JSON with snake_case keys as given. */
  public static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private EvalFiles() {}

  /** Writes {@code text} (UTF-8) to {@code file}, creating its folder. */
  public static void writeString(Path file, String text) throws IOException {
    write(file, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
  }

  /** Writes {@code value} as indented JSON. */
  public static void writeJson(Path file, Object value) throws IOException {
    writeString(file, JSON.writeValueAsString(value) + "\n");
  }

  /** Renders {@code chart} as a PNG of {@code width × height} pixels. */
  public static void writePng(Path file, JFreeChart chart, int width, int height)
      throws IOException {
    write(file, tmp -> ChartUtils.saveChartAsPNG(tmp.toFile(), chart, width, height));
  }

  /**
   * Creates an empty temporary file {@code dir/prefix.<random>.tmp} whose permissions follow the
   * umask (0644 under umask 022), unlike {@link Files#createTempFile}, which makes it 0600: a
   * report renamed from it stays readable by the other users of a shared run folder.
   *
   * @throws IOException when the file cannot be created
   */
  public static Path newTempFile(Path dir, String prefix) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path tmp =
          dir.resolve(
              prefix
                  + "."
                  + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                  + ".tmp");
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 16) {
          throw e;
        }
      }
    }
  }

  private interface Writer {
    void write(Path tmp) throws IOException;
  }

  private static void write(Path file, Writer w) throws IOException {
    Path abs = file.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = newTempFile(abs.getParent(), "." + abs.getFileName());
    try {
      w.write(tmp);
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
