package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.OptionValues;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * Option helpers shared by the commands: bad values become one-line {@link InvalidInputException}s.
 *
 * <p>Integer options are parsed strictly: digits with an optional sign, range-checked, never
 * wrapped ({@code 4294967300} for an {@code int} is an error, not 4) and never written in
 * scientific notation ({@code 1e10} is an error; write the digits). Real-valued options (learning
 * rates, FLOPs budgets) accept decimal and scientific notation ({@code 5e12}) but not {@code NaN},
 * {@code Infinity}, hexadecimal or Java suffixes ({@code 1d}).
 */
public final class CliOptions {
  private CliOptions() {}

  public static Option opt(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc).get();
  }

  /** An {@code int} option in {@code [min, Integer.MAX_VALUE]}, or {@code fallback} when absent. */
  public static int intOpt(CommandLine cmd, String name, int fallback, int min) {
    return intOpt(cmd, name, fallback, min, Integer.MAX_VALUE);
  }

  /** An {@code int} option in {@code [min, max]}, or {@code fallback} when absent. */
  public static int intOpt(CommandLine cmd, String name, int fallback, int min, int max) {
    String v = cmd.getOptionValue(name);
    return v == null ? fallback : (int) parseInteger(name, v, min, max);
  }

  /** A {@code long} option in {@code [min, Long.MAX_VALUE]}, or {@code fallback} when absent. */
  public static long longOpt(CommandLine cmd, String name, long fallback, long min) {
    String v = cmd.getOptionValue(name);
    return v == null ? fallback : parseInteger(name, v, min, Long.MAX_VALUE);
  }

  /**
   * Parses {@code value} of option {@code --name} as an integer in {@code [min, max]} ({@link
   * OptionValues#parseInteger}).
   *
   * @throws InvalidInputException naming the option, the value and the accepted range
   */
  public static long parseInteger(String name, String value, long min, long max) {
    return OptionValues.parseInteger(name, value, min, max);
  }

  /**
   * A finite real option (decimal or scientific notation, e.g. {@code 5e12}), or {@code fallback}
   * when absent.
   */
  public static double doubleOpt(CommandLine cmd, String name, double fallback) {
    String v = cmd.getOptionValue(name);
    return v == null ? fallback : parseNumber(name, v);
  }

  /**
   * Parses a finite real number (decimal or scientific notation; {@link OptionValues#parseNumber}).
   *
   * @throws InvalidInputException naming the option and the value
   */
  public static double parseNumber(String name, String value) {
    return OptionValues.parseNumber(name, value);
  }

  /**
   * Refuses to replace existing output files unless {@code --overwrite} was given. When the option
   * that names them was not given (the files are at the command's default place), the message says
   * so, names the option that chooses another place and never implies the user passed it.
   *
   * @param option the option that names the files, for the message
   * @throws InvalidInputException naming the first file that exists
   */
  public static void refuseExisting(CommandLine cmd, String option, Path... files) {
    if (cmd.hasOption("overwrite")) {
      return;
    }
    for (Path f : files) {
      if (Files.exists(f)) {
        if (!cmd.hasOption(option)) {
          throw new InvalidInputException(
              f
                  + " already exists (the default output, as --"
                  + option
                  + " was not given); choose another place with --"
                  + option
                  + " or pass --overwrite to replace it");
        }
        throw new InvalidInputException(
            "--"
                + option
                + ": "
                + f
                + " already exists; choose another --"
                + option
                + " or pass --overwrite to replace it");
      }
    }
  }

  /**
   * The repeatable {@code --name KEY=VALUE} option as a map (later keys win).
   *
   * @throws InvalidInputException for a value without {@code =} or with an empty key
   */
  public static java.util.Map<String, String> keyValues(CommandLine cmd, String name) {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    String[] values = cmd.getOptionValues(name);
    if (values != null) {
      for (String kv : values) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new InvalidInputException("--" + name + " must be KEY=VALUE, got '" + kv + "'");
        }
        out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    return out;
  }

  /**
   * Checks that {@code file} can be written as a regular file before any work is done.
   *
   * @param option the option that named it, for the message
   * @throws InvalidInputException when it is a directory or a parent is not a directory
   */
  public static void checkOutFile(Path file, String option) {
    Path f = file.toAbsolutePath().normalize();
    if (Files.isDirectory(f)) {
      throw new InvalidInputException(
          "--" + option + " " + f + " is a directory; expected a file path");
    }
    checkParentDirs(f, option);
  }

  /**
   * Checks that the nearest existing ancestor of {@code path} is a directory this process can write
   * in (so that the missing folders, the temporary file and the output can be created there),
   * before any work is done.
   *
   * @throws InvalidInputException naming the option and the first existing ancestor when it is not
   *     a directory, or is on a read-only file system or not writable
   */
  public static void checkParentDirs(Path path, String option) {
    Path f = path.toAbsolutePath().normalize();
    for (Path p = f.getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new InvalidInputException(
              "--" + option + " " + f + ": " + p + " is not a directory");
        }
        if (!Files.isWritable(p)) {
          throw new InvalidInputException(
              "--" + option + " " + f + ": cannot write in " + p + " (" + unwritable(p) + ")");
        }
        return;
      }
    }
  }

  /** Why {@code dir} cannot be written: read-only file system or permission denied. */
  static String unwritable(Path dir) {
    try {
      return Files.getFileStore(dir).isReadOnly() ? "read-only file system" : "permission denied";
    } catch (java.io.IOException e) {
      return "not writable";
    }
  }

  /** A required option; checked by {@link #required} (so that {@code --help} still parses). */
  public static Option req(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc + " (required)").get();
  }

  /**
   * The value of a required option.
   *
   * @throws InvalidInputException when it is missing
   */
  public static String required(CommandLine cmd, String name) {
    String v = cmd.getOptionValue(name);
    if (v == null) {
      throw new InvalidInputException("missing required option --" + name);
    }
    return v;
  }
}
