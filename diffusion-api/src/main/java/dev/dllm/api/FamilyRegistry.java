package dev.dllm.api;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds {@link DiffusionFamily} implementations through {@link ServiceLoader}. Adding a family
 * means adding a module with a {@code META-INF/services/dev.dllm.api.DiffusionFamily} file; no
 * other code changes.
 */
public final class FamilyRegistry {
  private final Map<String, DiffusionFamily> families;

  private FamilyRegistry(Map<String, DiffusionFamily> families) {
    this.families = families;
  }

  /** Families visible to the thread context class loader (or this class's loader). */
  public static FamilyRegistry load() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return load(cl != null ? cl : FamilyRegistry.class.getClassLoader());
  }

  /** Families visible to {@code loader}. */
  public static FamilyRegistry load(ClassLoader loader) {
    Map<String, DiffusionFamily> map = new TreeMap<>();
    for (DiffusionFamily f : ServiceLoader.load(DiffusionFamily.class, loader)) {
      DiffusionFamily previous = map.putIfAbsent(f.name(), f);
      if (previous != null && previous.getClass() != f.getClass()) {
        throw new IllegalStateException(
            "two families are registered as '"
                + f.name()
                + "': "
                + previous.getClass().getName()
                + " and "
                + f.getClass().getName());
      }
    }
    return new FamilyRegistry(map);
  }

  /** Registered names, sorted. */
  public java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(families.keySet());
  }

  /**
   * The family registered as {@code name}.
   *
   * @throws InvalidInputException listing the registered names when none matches
   */
  public DiffusionFamily get(String name) {
    DiffusionFamily f = families.get(name);
    if (f == null) {
      throw new InvalidInputException(
          "unknown family '" + name + "'; registered families: " + String.join(", ", names()));
    }
    return f;
  }
}
