package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.run.CommandRunner;
import dev.dllm.api.run.UsageException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code dllm <command> [options]}. Bad input prints one line naming what is wrong and exits with
 * code 2; unexpected failures exit with 1. Stack traces only with {@code --verbose}.
 */
public final class Main {
  /** Exit code for bad user input. */
  public static final int EXIT_BAD_INPUT = CommandRunner.BAD_INPUT;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the CLI and returns the exit code (used by tests). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    List<Command> commands;
    try {
      commands = Commands.all();
    } catch (IllegalStateException e) {
      // a family command that clashes or is malformed: refused before any command runs
      err.println("dllm: " + e.getMessage());
      return 1;
    }
    return run(args, out, err, commands);
  }

  /** {@link #run(String[], PrintStream, PrintStream)} over the given commands (tests). */
  static int run(String[] args, PrintStream out, PrintStream err, List<Command> commands) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      out.print(usage(commands));
      return args.length == 0 ? EXIT_BAD_INPUT : 0;
    }
    if (args[0].equals("--version")) {
      out.println("dllm " + version());
      return 0;
    }
    Command command =
        commands.stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
    if (command == null) {
      err.println(
          "dllm: unknown command '" + args[0] + "'; run 'dllm --help' for the list of commands");
      return EXIT_BAD_INPUT;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    boolean verbose = Arrays.asList(rest).contains("--verbose");
    Options options = withCommon(command.options());
    return CommandRunner.run(
        "dllm " + command.name(),
        verbose,
        err,
        () -> {
          CommandLine cmd;
          try {
            cmd = new DefaultParser().parse(options, rest);
          } catch (ParseException e) {
            throw new UsageException(
                e.getMessage(), "run 'dllm " + command.name() + " --help' for the options");
          }
          refuseRepeated(cmd, options);
          refuseUndecoded(cmd);
          if (cmd.hasOption("help")) {
            out.print(help(command, options));
            return 0;
          }
          if (!cmd.getArgList().isEmpty()) {
            throw new InvalidInputException(
                "unexpected argument '" + cmd.getArgList().get(0) + "'");
          }
          return command.run(cmd, out);
        });
  }

  /**
   * Refuses an option value holding U+FFFD: the JVM decodes the command line with the locale's
   * encoding, so under a POSIX locale a UTF-8 {@code --prompt "café"} arrives as {@code caf} and
   * two U+FFFD, which a byte or GPT-2 model would sample silently.
   *
   * @throws InvalidInputException naming the option, the encoding and the remedies
   */
  static void refuseUndecoded(CommandLine cmd) {
    for (Option o : cmd.getOptions()) {
      String v = o.getValue();
      if (v != null && v.indexOf('\uFFFD') >= 0) {
        throw new InvalidInputException(
            "--"
                + o.getLongOpt()
                + ": the value holds U+FFFD, bytes the command line's encoding ("
                + System.getProperty("sun.jnu.encoding")
                + ") could not decode; run in a UTF-8 locale (e.g. LANG=C.UTF-8), or give the"
                + " text in a file (sample --prompts FILE)");
      }
    }
  }

  private static Options withCommon(Options options) {
    Options all = new Options();
    options.getOptions().forEach(all::addOption);
    all.addOption(Option.builder("h").longOpt("help").desc("show this help").get());
    all.addOption(Option.builder().longOpt("verbose").desc("print stack traces").get());
    return all;
  }

  static String usage(List<Command> commands) {
    StringBuilder sb = new StringBuilder();
    sb.append("usage: dllm <command> [options]\n\n");
    sb.append("Discrete diffusion language models: train (DJL), export (ONNX), sample (ONNX\n");
    sb.append("Runtime), evaluate. Families are plugins found by name (dllm families).\n\n");
    sb.append("commands:\n");
    String family = null;
    for (Command c : commands) {
      if (c instanceof ContributedCommand f && !f.family().equals(family)) {
        family = f.family();
        sb.append("\ncommands of family ").append(family).append(":\n");
      }
      sb.append(String.format("  %-14s %s%n", c.name(), c.summary()));
    }
    sb.append("\nrun 'dllm <command> --help' for its options.\n");
    return sb.toString();
  }

  static String help(Command command, Options options) {
    StringWriter sw = new StringWriter();
    PrintWriter pw = new PrintWriter(sw);
    pw.println("usage: dllm " + command.name() + " [options]");
    pw.println(command.summary());
    pw.println();
    for (Option o : options.getOptions()) {
      String flag =
          (o.getOpt() != null ? "-" + o.getOpt() + ", " : "    ")
              + "--"
              + o.getLongOpt()
              + (o.hasArg() ? " " + (o.getArgName() != null ? o.getArgName() : "ARG") : "");
      pw.println(String.format("  %-30s %s", flag, o.getDescription()));
    }
    pw.flush();
    return sw.toString();
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  /**
   * Commons CLI keeps the first value of an option given twice and drops the others; a user who
   * writes {@code --preset xxs ... --preset s} means one of them, so a single-valued option given
   * more than once is bad input (repeatable ones such as {@code --option} are not affected).
   */
  private static void refuseRepeated(CommandLine cmd, Options options) {
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    for (org.apache.commons.cli.Option o : cmd.getOptions()) {
      org.apache.commons.cli.Option def = options.getOption(o.getKey());
      if (def != null
          && def.hasArg()
          && !def.hasArgs()
          && seen.merge(o.getKey(), 1, Integer::sum) == 2) {
        throw new InvalidInputException(
            "--" + def.getLongOpt() + " is given more than once; give it once");
      }
    }
  }
}
