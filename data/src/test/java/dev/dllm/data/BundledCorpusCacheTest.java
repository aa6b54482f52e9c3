package dev.dllm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled corpus is copied into the dllm cache on first use. A cache root that is a file
 * ({@code tokenize --cache FILE}, {@code DLLM_CACHE=FILE}) is bad input naming it (exit 2), not an
 * {@code UncheckedIOException} (exit 1).
 */
class BundledCorpusCacheTest {
  @TempDir Path tmp;

  @Test
  void isCopiedIntoTheCacheOnce() {
    Path p = BundledCorpus.tinyShakespeare(tmp.resolve("cache"));
    assertEquals(tmp.resolve("cache").resolve("corpora").resolve("tinyshakespeare.txt"), p);
    assertEquals(BundledCorpus.SIZE, p.toFile().length());
  }

  @Test
  void aCacheRootThatIsAFileIsNamed() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> BundledCorpus.tinyShakespeare(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
  }
}
