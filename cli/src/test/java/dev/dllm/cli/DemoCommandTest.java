package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo validates its options before any stage runs (no training on bad input). */
class DemoCommandTest {
  @TempDir Path tmp;

  private int run(ByteArrayOutputStream err, String... args) {
    return Main.run(
        args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void badNumbersAreRejectedBeforeAnyStage() {
    String[][] bad = {
      {"--steps", "0"},
      {"--num-samples", "-1"},
      {"--seq-len", "abc"},
      {"--flops", "0"},
      {"--batch", "1.5"},
      {"--seq-len", "1"},
      {"--preset", "zzz"}
    };
    for (String[] b : bad) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Path out = tmp.resolve("demo-" + b[0].substring(2));
      int rc = run(err, "demo", "--quick", b[0], b[1], "--out", out.toString());
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(Main.EXIT_BAD_INPUT, rc, e);
      assertTrue(e.contains(b[0]), e);
      assertFalse(Files.exists(out), "no stage may run on bad input: " + out);
    }
  }

  @Test
  void outUnderARegularFileIsBadInput() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        run(
            err,
            "demo",
            "--quick",
            "--scorer",
            tmp.toString(),
            "--out",
            file.resolve("demo").toString());
    assertEquals(Main.EXIT_BAD_INPUT, rc, err.toString(StandardCharsets.UTF_8));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--out"));
    // --out naming the file itself: one line saying so, no Java exception name
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    rc = run(err2, "demo", "--quick", "--scorer", tmp.toString(), "--out", file.toString());
    String e = err2.toString(StandardCharsets.UTF_8);
    assertEquals(Main.EXIT_BAD_INPUT, rc, e);
    assertTrue(e.contains("is a file; expected a folder"), e);
    assertFalse(e.contains("Exception"), e);
    assertEquals("x", Files.readString(file));
  }

  @Test
  void nonEmptyOutIsRefusedSoNothingIsOverwritten() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("earlier"));
    Path kept = Files.writeString(dir.resolve("train-report.json"), "{}");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc = run(err, "demo", "--quick", "--out", dir.toString());
    assertEquals(Main.EXIT_BAD_INPUT, rc, err.toString(StandardCharsets.UTF_8));
    assertEquals("{}", Files.readString(kept));
  }
}
