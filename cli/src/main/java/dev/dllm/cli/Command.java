package dev.dllm.cli;

import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One {@code dllm <name>} sub-command. */
public interface Command {

  /** The word after {@code dllm}. */
  String name();

  /** One line for {@code dllm --help}. */
  String summary();

  /** The command's options (without {@code --help} and {@code --verbose}, added by Main). */
  Options options();

  /**
   * Runs the command.
   *
   * @param cmd parsed options
   * @param out where results are printed (standard output)
   * @return the exit code (0 on success)
   * @throws dev.dllm.api.InvalidInputException for bad input: Main prints its message on one line
   *     and exits with code 2
   */
  int run(CommandLine cmd, PrintStream out) throws Exception;
}
