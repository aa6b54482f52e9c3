package dev.dllm.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates /work/shared through the system property {@code dllm.shared} set by the root pom. */
public final class SharedData {
  private SharedData() {}

  /** The shared folder; skips the calling test (Assumptions) when it is absent. */
  public static Path dir() {
    String prop = System.getProperty("dllm.shared");
    assumeTrue(prop != null && Files.isDirectory(Path.of(prop)), "shared data folder absent");
    return Path.of(prop);
  }

  /** A file under the shared folder; skips when absent. */
  public static Path file(String relative) {
    Path p = dir().resolve(relative);
    assumeTrue(Files.exists(p), "missing shared file " + p);
    return p;
  }
}
