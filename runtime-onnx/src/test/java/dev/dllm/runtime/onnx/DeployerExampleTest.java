package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's deployer example (issue 11 §4), compiled and run in a fresh JVM on a class path of
 * runtime-onnx, the families and their runtime dependencies only; no {@code ai.djl} class is on it.
 */
class DeployerExampleTest {
  @TempDir Path tmp;

  /** Class path entries a deployer has: ours and the runtime dependencies, no test libraries. */
  static final Pattern DEPLOYER =
      Pattern.compile(
          ".*/(runtime-onnx|diffusion-api|data|family-[a-z]+)/[^/]+/classes/?$"
              + "|.*/(onnxruntime|jackson-[a-z]+|slf4j-api|jtokkit|diffusion-api|data|family-[a-z]+)-[0-9][^/]*\\.jar$");

  static String readmeExample() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile(
                "(?s)<!-- deployer-example:start[^>]*-->\\s*```java\\n(.*?)```\\s*<!-- deployer-example:end -->")
            .matcher(readme);
    assertTrue(m.find(), "README.md has no deployer example between the markers");
    return m.group(1);
  }

  static List<String> deployerClassPath() {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> kept = new ArrayList<>();
    for (String e : cp.split(File.pathSeparator)) {
      if (DEPLOYER.matcher(e.replace('\\', '/')).matches()) {
        kept.add(e);
      }
    }
    return kept;
  }

  static boolean containsDjl(String entry) throws Exception {
    Path p = Path.of(entry);
    if (Files.isDirectory(p)) {
      return Files.exists(p.resolve("ai/djl"));
    }
    try (JarFile jar = new JarFile(p.toFile())) {
      return jar.stream().anyMatch(e -> e.getName().startsWith("ai/djl/"));
    }
  }

  @Test
  void readmeExampleCompilesAndRunsWithoutDjl() throws Exception {
    List<String> cp = deployerClassPath();
    assertTrue(cp.stream().anyMatch(e -> e.contains("onnxruntime")), "class path: " + cp);
    assertTrue(cp.stream().anyMatch(e -> e.contains("family-mdlm")), "class path: " + cp);
    for (String e : cp) {
      assertFalse(containsDjl(e), e + " holds ai.djl classes");
      assertFalse(e.contains("test-classes") || e.contains("djl"), e);
    }
    Path src = tmp.resolve("DeployerExample.java");
    Files.writeString(src, readmeExample());
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc =
        javac.run(
            null,
            null,
            null,
            "-d",
            classes.toString(),
            "-cp",
            String.join(File.pathSeparator, cp),
            src.toString());
    assertEquals(0, rc, "the README example does not compile");

    List<String> runCp = new ArrayList<>(cp);
    runCp.add(0, classes.toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                String.join(File.pathSeparator, runCp),
                "DeployerExample",
                OnnxRuntimeTest.fixture("mdlm-tiny").toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the example did not finish in 60 s");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    List<String> lines;
    try (Stream<String> s = output.lines()) {
      lines = s.filter(l -> l.startsWith("mdlm sample ")).toList();
    }
    assertEquals(2, lines.size(), output);
    assertTrue(lines.get(0).startsWith("mdlm sample 0: 5+6 tokens, NFE "), output);

    // the same samples as the API called here directly
    try (DllmGenerator g = DllmGenerator.open(OnnxRuntimeTest.fixture("mdlm-tiny"))) {
      List<Generated> want =
          g.generate(
              GenerateOptions.defaults()
                  .withNumber(2)
                  .withSteps(32)
                  .withSeed(7)
                  .withTopP(0.9)
                  .withPrompt("to be")
                  .withMaxNewTokens(6)
                  .withStop("."));
      for (int i = 0; i < 2; i++) {
        Generated w = want.get(i);
        assertTrue(
            lines.get(i).endsWith(", " + w.stopReason() + ": " + w.completion()), lines.get(i));
        assertEquals("to be", g.tokenizer().decode(Arrays.copyOf(w.ids(), 5)));
      }
    }
  }
}
