package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.FamilyRegistry;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every family registered through the ServiceLoader (all family modules are test dependencies of
 * this module) has a concrete {@link FamilyConformanceTestCase} subclass in this package, so a
 * family that registers without adopting the kit fails the build.
 */
class EveryFamilyIsCoveredTest {

  @Test
  void everyRegisteredFamilyHasAConformanceSubclass() throws Exception {
    Map<String, String> covered = coveredFamilies();
    Set<String> registered = FamilyRegistry.load().names();
    assertTrue(registered.containsAll(Set.of("ar", "mdlm")), "registered: " + registered);
    Set<String> missing = new TreeSet<>(registered);
    missing.removeAll(covered.keySet());
    assertTrue(
        missing.isEmpty(),
        "registered families without a conformance test: "
            + missing
            + "; add a class extending FamilyConformanceTestCase to conformance/src/test/java"
            + " (covered: "
            + covered
            + ")");
    Set<String> stale = new TreeSet<>(covered.keySet());
    stale.removeAll(registered);
    assertTrue(stale.isEmpty(), "conformance tests of families that are not registered: " + stale);
  }

  @Test
  void scanFindsTheKnownSubclasses() throws Exception {
    Map<String, String> covered = coveredFamilies();
    assertEquals(ArConformanceTest.class.getName(), covered.get("ar"));
    assertEquals(MdlmConformanceTest.class.getName(), covered.get("mdlm"));
  }

  /** Family name to the concrete kit subclass in this package that tests it. */
  static Map<String, String> coveredFamilies()
      throws IOException, URISyntaxException, ReflectiveOperationException {
    String pkg = EveryFamilyIsCoveredTest.class.getPackageName();
    ClassLoader cl = EveryFamilyIsCoveredTest.class.getClassLoader();
    Map<String, String> covered = new TreeMap<>();
    Enumeration<URL> roots = cl.getResources(pkg.replace('.', '/'));
    while (roots.hasMoreElements()) {
      URL url = roots.nextElement();
      if (!url.getProtocol().equals("file")) {
        continue; // the kit's own jar holds no subclass
      }
      try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
        for (Path p : files.toList()) {
          String file = p.getFileName().toString();
          if (!file.endsWith(".class") || file.contains("$")) {
            continue;
          }
          Class<?> c = Class.forName(pkg + "." + file.substring(0, file.length() - 6), false, cl);
          if (FamilyConformanceTestCase.class.isAssignableFrom(c)
              && !Modifier.isAbstract(c.getModifiers())) {
            var ctor = c.getDeclaredConstructor();
            ctor.setAccessible(true);
            String family = ((FamilyConformanceTestCase) ctor.newInstance()).familyName();
            String previous = covered.put(family, c.getName());
            if (previous != null && !previous.equals(c.getName())) {
              throw new AssertionError(
                  "two conformance tests for '" + family + "': " + previous + ", " + c.getName());
            }
          }
        }
      }
    }
    return covered;
  }
}
