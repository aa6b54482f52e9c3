package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * Option helpers shared by the commands: bad values become one-line {@link InvalidInputException}s.
 */
final class CliOptions {
  private CliOptions() {}

  static Option opt(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc).get();
  }

  static int intOpt(CommandLine cmd, String name, int fallback, int min) {
    String v = cmd.getOptionValue(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min) {
        throw new InvalidInputException("--" + name + " must be >= " + min + ", got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("--" + name + " must be an integer, got '" + v + "'");
    }
  }

  static double doubleOpt(CommandLine cmd, String name, double fallback) {
    String v = cmd.getOptionValue(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("--" + name + " must be a number, got '" + v + "'");
    }
  }
}
