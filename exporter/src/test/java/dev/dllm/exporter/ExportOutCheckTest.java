package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OnnxExport#checkOut}: a bad {@code --out} is refused with one line, before any work. */
class ExportOutCheckTest {
  @TempDir Path tmp;

  @Test
  void parentThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> OnnxExport.checkOut(file.resolve("a/export")));
    assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> OnnxExport.checkOut(file));
    assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    assertDoesNotThrow(() -> OnnxExport.checkOut(tmp.resolve("new/export")));
  }
}
