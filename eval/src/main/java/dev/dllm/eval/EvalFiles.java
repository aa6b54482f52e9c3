package dev.dllm.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

  private interface Writer {
    void write(Path tmp) throws IOException;
  }

  private static void write(Path file, Writer w) throws IOException {
    Path abs = file.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      w.write(tmp);
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
