package dev.dllm.data;

import java.nio.file.Path;

/**
 * The dllm cache folder: system property {@code dllm.cache}, else environment variable {@code
 * DLLM_CACHE}, else {@code ~/.cache/dllm}. Holds tokenized corpora ({@code tokens/}) and the
 * bundled corpus copied out of the jar ({@code corpora/}).
 */
public final class DllmCache {
  private DllmCache() {}

  /** The cache root (not created). */
  public static Path root() {
    String prop = System.getProperty("dllm.cache");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop);
    }
    String env = System.getenv("DLLM_CACHE");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "dllm");
  }
}
