package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A fake fifth family's command lives only on the test class path ({@code
 * dev.dllm.cli.fakefamily.FakeFamilyCommand}, listed in src/test/resources/META-INF/services): the
 * plain {@code dllm --help} finds it under its family's heading and runs it, with nothing in cli
 * naming it.
 */
class TestClassPathFamilyTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void dllmHelpListsTheTestFamilysCommandUnderItsFamilyHeading() {
    assertEquals(0, run("--help"), err.toString(StandardCharsets.UTF_8));
    String help = out.toString(StandardCharsets.UTF_8);
    int heading = help.indexOf("\ncommands of family fake5:\n");
    assertTrue(heading > 0, help);
    int line = help.indexOf("  fake5-echo ", heading);
    assertTrue(line > heading, help);
    int next = help.indexOf("\ncommands of family ", heading + 1);
    assertTrue(next < 0 || line < next, "listed under its own heading: " + help);
    assertTrue(help.indexOf("\ncommands of family duo:\n") > 0, help);
    assertTrue(help.indexOf("duo-schedule") > help.indexOf("commands of family duo:"), help);

    out.reset();
    assertEquals(0, run("fake5-echo", "--times", "2"), err.toString(StandardCharsets.UTF_8));
    assertEquals("echo\necho\n", out.toString(StandardCharsets.UTF_8).replace("\r", ""));
  }
}
