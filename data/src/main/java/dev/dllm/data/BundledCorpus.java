package dev.dllm.data;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The corpus bundled in this jar: Tiny Shakespeare (1,115,394 bytes of public-domain text from
 * karpathy/char-rnn; see {@code dev/dllm/data/SOURCES.md}), the default corpus when none is given.
 */
public final class BundledCorpus {
  /** Resource path of the bundled text. */
  public static final String RESOURCE = "/dev/dllm/data/tinyshakespeare.txt";

  /** Its size in bytes. */
  public static final long SIZE = 1_115_394L;

  private BundledCorpus() {}

  /** Tiny Shakespeare as a file, copied (atomically) to {@code <cache>/corpora/} once. */
  public static Path tinyShakespeare() {
    return tinyShakespeare(DllmCache.root());
  }

  /**
   * Tiny Shakespeare as a file under {@code cacheRoot/corpora/}.
   *
   * @throws InvalidInputException when {@code cacheRoot} (or a folder above it) is a file
   */
  public static Path tinyShakespeare(Path cacheRoot) {
    Path target = cacheRoot.resolve("corpora").resolve("tinyshakespeare.txt");
    try {
      if (Files.isRegularFile(target) && Files.size(target) == SIZE) {
        return target;
      }
      for (Path p = cacheRoot.toAbsolutePath(); p != null; p = p.getParent()) {
        if (Files.exists(p) && !Files.isDirectory(p)) {
          throw new InvalidInputException(
              "the dllm cache "
                  + cacheRoot
                  + " is not a folder ("
                  + p
                  + " is a file); set it with --cache, -Ddllm.cache or $DLLM_CACHE");
        }
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), "tinyshakespeare", ".tmp");
      try (InputStream in = BundledCorpus.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("resource " + RESOURCE + " missing from the data jar");
        }
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the bundled corpus to " + target, e);
    }
  }
}
