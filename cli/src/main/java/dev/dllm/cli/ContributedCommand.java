package dev.dllm.cli;

import dev.dllm.api.FamilyCommand;
import dev.dllm.api.FamilyCommand.OptionSpec;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * A {@link FamilyCommand} (found through {@code ServiceLoader} in a family module) as a CLI {@link
 * Command}: its option specs become Commons CLI options, the parsed values a map by long name. Main
 * adds {@code --help}/{@code --verbose} and maps {@code InvalidInputException} to exit code 2 as
 * for every command.
 */
final class ContributedCommand implements Command {
  /** Options Main adds to every command; a family command may not declare them. */
  private static final Set<String> RESERVED = Set.of("help", "verbose");

  private final FamilyCommand command;

  /**
   * @throws IllegalStateException when the command has no usable name or declares an option twice
   *     or one of {@code --help}/{@code --verbose}
   */
  ContributedCommand(FamilyCommand command) {
    this.command = command;
    String name = command.name();
    if (name == null || !name.matches("[a-z0-9][a-z0-9-]*")) {
      throw new IllegalStateException(
          "family command "
              + command.getClass().getName()
              + " has the name '"
              + name
              + "'; expected lower-case letters, digits and '-'");
    }
    Set<String> seen = new java.util.HashSet<>();
    for (OptionSpec spec : command.options()) {
      if (RESERVED.contains(spec.longName()) || !seen.add(spec.longName())) {
        throw new IllegalStateException(
            "family command '"
                + name
                + "' ("
                + command.getClass().getName()
                + ") declares --"
                + spec.longName()
                + (RESERVED.contains(spec.longName())
                    ? ", which dllm adds to every command"
                    : " twice"));
      }
    }
  }

  /** The family that contributed the command. */
  String family() {
    return command.family();
  }

  /** The contributed command's class, for messages. */
  String source() {
    return command.getClass().getName() + " (family " + command.family() + ")";
  }

  @Override
  public String name() {
    return command.name();
  }

  @Override
  public String summary() {
    return command.summary();
  }

  @Override
  public Options options() {
    Options o = new Options();
    for (OptionSpec spec : command.options()) {
      o.addOption(
          spec.isFlag()
              ? Option.builder().longOpt(spec.longName()).desc(spec.description()).get()
              : CliOptions.opt(spec.longName(), spec.argName(), spec.description()));
    }
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    for (OptionSpec spec : command.options()) {
      if (cmd.hasOption(spec.longName())) {
        values.put(
            spec.longName(),
            spec.isFlag() ? OptionSpec.FLAG_SET : cmd.getOptionValue(spec.longName()));
      }
    }
    return command.run(java.util.Collections.unmodifiableMap(values), out);
  }
}
