package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.FamilyCommand;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.OptionValues;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A family command on the class path (a services file, nothing in cli edited) is listed by {@code
 * dllm --help} under its family and runs with the CLI's option handling and exit codes.
 */
class FamilyCommandsTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** A fifth family's tool: {@code dllm fake-table --rows N [--loud]}. */
  public static final class FakeTable implements FamilyCommand {
    @Override
    public String family() {
      return "fake";
    }

    @Override
    public String name() {
      return "fake-table";
    }

    @Override
    public String summary() {
      return "prints N rows of the fake family's table";
    }

    @Override
    public List<OptionSpec> options() {
      return List.of(
          OptionSpec.value("rows", "N", "number of rows (required)"),
          OptionSpec.flag("loud", "upper case"));
    }

    @Override
    public int run(Map<String, String> options, PrintStream out) {
      OptionValues.required(options, "rows");
      int rows = OptionValues.intOption(options, "rows", 0, 1);
      for (int i = 0; i < rows; i++) {
        out.println(options.containsKey("loud") ? "ROW " + i : "row " + i);
      }
      return 0;
    }
  }

  /** Takes the name of a built-in command. */
  public static final class Clash implements FamilyCommand {
    @Override
    public String family() {
      return "fake";
    }

    @Override
    public String name() {
      return "train";
    }

    @Override
    public String summary() {
      return "clashes";
    }

    @Override
    public List<OptionSpec> options() {
      return List.of();
    }

    @Override
    public int run(Map<String, String> options, PrintStream out) {
      throw new InvalidInputException("never runs");
    }
  }

  /** Declares {@code --help}, which Main adds. */
  public static final class OwnHelp implements FamilyCommand {
    @Override
    public String family() {
      return "fake";
    }

    @Override
    public String name() {
      return "own-help";
    }

    @Override
    public String summary() {
      return "declares --help";
    }

    @Override
    public List<OptionSpec> options() {
      return List.of(OptionSpec.flag("help", "mine"));
    }

    @Override
    public int run(Map<String, String> options, PrintStream out) {
      return 0;
    }
  }

  private ClassLoader withServices(Class<?>... providers) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    StringBuilder names = new StringBuilder();
    for (Class<?> p : providers) {
      names.append(p.getName()).append('\n');
    }
    Files.writeString(services.resolve(FamilyCommand.class.getName()), names);
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
  }

  private int run(List<Command> commands, String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        commands);
  }

  @Test
  void familyCommandIsListedUnderItsFamilyAndRuns() throws IOException {
    List<Command> commands = Commands.all(withServices(FakeTable.class));
    assertEquals(0, run(commands, "--help"));
    String help = out.toString(StandardCharsets.UTF_8);
    int header = help.indexOf("commands of family fake:");
    assertTrue(header > 0 && help.indexOf("fake-table", header) > header, help);
    assertTrue(help.indexOf("commands of family duo:") > 0, help);
    assertTrue(help.indexOf("duo-schedule") > help.indexOf("commands of family duo:"), help);

    out.reset();
    assertEquals(0, run(commands, "fake-table", "--rows", "2", "--loud"));
    assertEquals("ROW 0\nROW 1\n", out.toString(StandardCharsets.UTF_8).replace("\r", ""));

    out.reset();
    assertEquals(0, run(commands, "fake-table", "--help"));
    String own = out.toString(StandardCharsets.UTF_8);
    assertTrue(own.startsWith("usage: dllm fake-table [options]"), own);
    assertTrue(own.contains("--rows N") && own.contains("--loud") && own.contains("--help"), own);
  }

  @Test
  void badInputOfAFamilyCommandIsOneLineAndExitCodeTwo() throws IOException {
    List<Command> commands = Commands.all(withServices(FakeTable.class));
    String[][] cases = {
      {"fake-table"},
      {"fake-table", "--rows", "0"},
      {"fake-table", "--rows", "1", "--rows", "2"},
      {"fake-table", "--rows", "1", "stray"},
      {"fake-table", "--nope"},
    };
    for (String[] args : cases) {
      err.reset();
      assertEquals(Main.EXIT_BAD_INPUT, run(commands, args), String.join(" ", args));
      String e = err.toString(StandardCharsets.UTF_8);
      assertTrue(e.startsWith("dllm fake-table: "), e);
    }
    err.reset();
    run(commands, "fake-table");
    assertEquals(
        "dllm fake-table: missing required option --rows",
        err.toString(StandardCharsets.UTF_8).strip());
  }

  @Test
  void aNameTakenByABuiltInCommandIsRefusedAtStartUp() throws IOException {
    ClassLoader loader = withServices(Clash.class);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Commands.all(loader));
    assertTrue(
        e.getMessage().contains("'train'")
            && e.getMessage().contains(Clash.class.getName())
            && e.getMessage().contains(TrainCommand.class.getName()),
        e.getMessage());
  }

  @Test
  void aFamilyCommandMayNotDeclareTheCommonOptions() throws IOException {
    ClassLoader loader = withServices(OwnHelp.class);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Commands.all(loader));
    assertTrue(e.getMessage().contains("--help"), e.getMessage());
  }

  @Test
  void cliFindsDuoScheduleInTheDuoModule() {
    Command duo =
        Commands.all().stream()
            .filter(c -> c.name().equals("duo-schedule"))
            .findFirst()
            .orElseThrow();
    assertTrue(duo instanceof ContributedCommand c && c.family().equals("duo"));
  }
}
