package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpListsEveryCommand() {
    assertEquals(0, run("--help"));
    for (Command c : Commands.all()) {
      assertTrue(out.toString(StandardCharsets.UTF_8).contains(c.name()), c.name());
    }
  }

  @Test
  void unknownCommandIsBadInput() {
    assertEquals(Main.EXIT_BAD_INPUT, run("no-such-command"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command 'no-such-command'"));
  }

  @Test
  void unknownOptionIsBadInputOnOneLineWithoutStackTrace() {
    assertEquals(Main.EXIT_BAD_INPUT, run("families", "--no-such-option"));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("--no-such-option"), e);
    assertTrue(!e.contains("\tat "), "no stack trace without --verbose: " + e);
  }

  @Test
  void commandHelpShowsOptions() {
    for (Command c : Commands.all()) {
      out.reset();
      assertEquals(0, run(c.name(), "--help"), c.name());
      assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: dllm " + c.name()));
    }
  }

  @Test
  void familiesCommandListsRegisteredFamilies() {
    assertEquals(0, run("families"));
    for (String name : dev.dllm.api.FamilyRegistry.load().names()) {
      assertTrue(out.toString(StandardCharsets.UTF_8).contains(name), name);
    }
  }
}
