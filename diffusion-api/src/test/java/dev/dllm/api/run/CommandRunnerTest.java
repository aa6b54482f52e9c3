package dev.dllm.api.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String err() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void successReturnsTheBodysCodeAndPrintsNothing() {
    assertEquals(0, CommandRunner.run("dllm x", false, err, () -> 0));
    assertEquals(3, CommandRunner.run("dllm x", false, err, () -> 3));
    assertEquals("", err());
  }

  @Test
  void badInputIsExitTwoWithOneLine() {
    int rc =
        CommandRunner.run(
            "dllm train",
            false,
            err,
            () -> {
              throw new InvalidInputException("--steps: expected an integer ≥ 1, got 'x'");
            });
    assertEquals(2, rc);
    assertEquals(
        "dllm train: --steps: expected an integer ≥ 1, got 'x'\n", err().replace("\r", ""));
  }

  @Test
  void usageErrorPrintsItsHintLine() {
    int rc =
        CommandRunner.run(
            "dllm sample",
            true,
            err,
            () -> {
              throw new UsageException("Unrecognized option: --stepz", "run 'dllm sample --help'");
            });
    assertEquals(2, rc);
    assertEquals(
        "dllm sample: Unrecognized option: --stepz\nrun 'dllm sample --help'\n",
        err().replace("\r", ""));
  }

  @Test
  void ownFaultWithMessageIsExitOneWithoutStackTrace() {
    int rc =
        CommandRunner.run(
            "dllm demo",
            false,
            err,
            () -> {
              throw new OwnFaultException("stage export failed: disk quota");
            });
    assertEquals(1, rc);
    assertEquals("dllm demo: stage export failed: disk quota\n", err().replace("\r", ""));
  }

  @Test
  void unexpectedExceptionIsExitOnePointingToVerbose() {
    int rc =
        CommandRunner.run(
            "dllm eval",
            false,
            err,
            () -> {
              throw new IllegalStateException("boom");
            });
    assertEquals(1, rc);
    assertTrue(err().startsWith("dllm eval: error: java.lang.IllegalStateException: boom\n"));
    assertTrue(err().contains("--verbose"));
    assertFalse(err().contains("\tat "));
  }

  @Test
  void verbosePrintsTheStackTraceOfABug() {
    int rc =
        CommandRunner.run(
            "dllm eval",
            true,
            err,
            () -> {
              throw new AssertionError("invariant");
            });
    assertEquals(1, rc);
    assertTrue(err().contains("\tat dev.dllm.api.run.CommandRunnerTest"), err());
  }
}
