package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The server's class path holds no DJL (as runtime-onnx's {@code DeployerExampleTest} checks for
 * the runtime; the enforcer's ban in server/pom.xml keeps it so at build time), and its entry point
 * refuses bad options with exit code 2 and runs {@code bench-serve} to the end.
 */
class ServerWithoutDjlTest {

  static boolean containsDjl(String entry) throws Exception {
    Path p = Path.of(entry);
    if (!Files.exists(p)) {
      return false;
    }
    if (Files.isDirectory(p)) {
      return Files.exists(p.resolve("ai/djl"));
    }
    try (JarFile jar = new JarFile(p.toFile())) {
      return jar.stream().anyMatch(e -> e.getName().startsWith("ai/djl/"));
    }
  }

  @Test
  void noDjlClassIsOnTheServersClassPath() throws Exception {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("ai.djl.ndarray.NDArray"));
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int entries = 0;
    for (String e : cp.split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        entries++;
        assertFalse(containsDjl(e), e + " holds ai.djl classes");
        assertFalse(e.replace('\\', '/').contains("/ai/djl/"), e);
      }
    }
    assertTrue(cp.contains("javalin") && cp.contains("onnxruntime"), cp);
    assertTrue(entries > 10, cp);
  }

  static int main(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
    return ServerMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of());
  }

  @Test
  void badOptionsExitWith2NamingTheOption() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(2, main(out, err, "serve", "--model", "no/such/export"));
    assertTrue(err.toString().contains("--model no/such/export"), err.toString());
    err.reset();
    assertEquals(
        2,
        main(
            out,
            err,
            "serve",
            "--model",
            TestServers.fixture("mdlm-tiny").toString(),
            "--port",
            "70000"));
    assertTrue(err.toString().contains("port"), err.toString());
    err.reset();
    assertEquals(2, main(out, err, "serve"));
    assertTrue(err.toString().contains("--model"), err.toString());
    err.reset();
    assertEquals(2, main(out, err, "bench-serve", "--url", "http://example.com:80"));
    assertTrue(err.toString().contains("loopback"), err.toString());
    err.reset();
    String tiny = TestServers.fixture("mdlm-tiny").toString();
    assertEquals(2, main(out, err, "bench-serve", "--model", tiny, "--forward-batches", "1,0"));
    assertTrue(err.toString().contains("--forward-batches"), err.toString());
    err.reset();
    assertEquals(2, main(out, err, "bench-serve", "--soak", "5", "--url", "http://127.0.0.1:1/"));
    assertTrue(err.toString().contains("--soak"), err.toString());
    err.reset();
    assertEquals(2, main(out, err, "bench-serve", "--model", tiny, "--soak", "5", "--warmup", "5"));
    assertTrue(err.toString().contains("--warmup 5"), err.toString());
    assertEquals(0, main(out, err, "serve", "--help"));
    assertTrue(out.toString().contains("--max-batch"), out.toString());
  }

  @Test
  void benchServeRunsBothPhasesAndStopsByItself() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        main(
            out,
            err,
            "bench-serve",
            "--model",
            TestServers.fixture("mdlm-tiny").toString(),
            "--requests",
            "6",
            "--clients",
            "3",
            "--steps",
            "8",
            "--max-tokens",
            "4",
            "--prompt",
            "to",
            "--threads",
            "1");
    String o = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, o + err);
    assertTrue(o.contains("one at a time") && o.contains("3 clients"), o);
    assertTrue(o.contains("texts that differ between the two phases: 0 of 6"), o);
    assertTrue(o.contains("network call [B, 12]"), o);
  }
}
