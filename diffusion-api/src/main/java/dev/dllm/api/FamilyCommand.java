package dev.dllm.api;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code dllm <name>} sub-command contributed by a family module, so that a family's own tools (a
 * schedule printer, a table) live with the family and the command line names no family.
 *
 * <p>Found through {@link java.util.ServiceLoader}: the family lists the class in {@code
 * src/main/resources/META-INF/services/dev.dllm.api.FamilyCommand}. The CLI wraps each one into its
 * own command type: it parses the {@link #options() option specs}, adds {@code --help} and {@code
 * --verbose}, refuses an option given twice and stray arguments, and refuses at start-up a command
 * whose name is taken (by a built-in command or another family's command). Pure Java: no
 * command-line library is visible here; option values arrive as strings ({@link OptionValues}
 * parses them with the CLI's messages).
 */
public interface FamilyCommand {

  /** The family that contributes the command ({@link DiffusionFamily#name()}), for the help. */
  String family();

  /** The word after {@code dllm}, e.g. {@code duo-schedule}. */
  String name();

  /** One line for {@code dllm --help}. */
  String summary();

  /** The command's options, in the order its {@code --help} lists them. */
  List<OptionSpec> options();

  /**
   * Runs the command.
   *
   * @param options the options given, by long name: the value of an option that takes one, {@link
   *     OptionSpec#FLAG_SET} for a flag; options not given are absent
   * @param out where results are printed (standard output)
   * @return the exit code (0 on success)
   * @throws InvalidInputException for bad input: the CLI prints its message on one line ({@code
   *     dllm <name>: <message>}) and exits with code 2
   * @throws Exception for anything else (exit code 1)
   */
  int run(Map<String, String> options, PrintStream out) throws Exception;

  /**
   * One option: {@code --longName ARG} when {@code argName} is not null, else a flag.
   *
   * @param longName the name after {@code --}
   * @param argName the placeholder shown in the help for the value, or null for a flag
   * @param description one line for the help
   */
  record OptionSpec(String longName, String argName, String description) {
    /** The value a given flag has in {@link FamilyCommand#run}'s map. */
    public static final String FLAG_SET = "true";

    public OptionSpec {
      Objects.requireNonNull(longName, "longName");
      Objects.requireNonNull(description, "description");
      if (!longName.matches("[a-z0-9][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "option name must be lower-case letters, digits and '-', got '" + longName + "'");
      }
    }

    /** {@code --longName ARG}. */
    public static OptionSpec value(String longName, String argName, String description) {
      return new OptionSpec(longName, Objects.requireNonNull(argName, "argName"), description);
    }

    /** {@code --longName} without a value. */
    public static OptionSpec flag(String longName, String description) {
      return new OptionSpec(longName, null, description);
    }

    /** True when the option takes no value. */
    public boolean isFlag() {
      return argName == null;
    }
  }
}
