package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * Options shared by the commands that evaluate an export ({@code eval}, {@code task-eval}, {@code
 * prompt-eval}; {@code --top-p} also {@code sample} and {@code pareto}): their declarations and
 * checks, so that each command reads and refuses them alike.
 */
final class EvalOptions {
  private EvalOptions() {}

  /** {@code --top-p P}: nucleus mass in (0, 1], default 1 (off). */
  static Option topPOption() {
    return CliOptions.opt("top-p", "P", "nucleus mass in (0, 1] (default 1 = off)");
  }

  /**
   * Adds, in this order, {@code --overwrite}, the ONNX Runtime options ({@code --provider}, {@code
   * --threads}, {@code --opt-level}) and the repeatable sampler {@code --option KEY=VALUE}.
   *
   * @param overwriteDesc what {@code --overwrite} replaces, as the command's help says it
   * @param optionDesc the help of {@code --option}
   */
  static void addRuntimeOptions(Options o, String overwriteDesc, String optionDesc) {
    o.addOption(Option.builder().longOpt("overwrite").desc(overwriteDesc).get());
    o.addOption(CliOptions.opt("provider", "cpu|cuda", "ONNX Runtime provider (default cpu)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(CliOptions.opt("opt-level", "LEVEL", "none|basic|extended|all (default basic)"));
    o.addOption(
        Option.builder().longOpt("option").hasArgs().argName("KEY=VALUE").desc(optionDesc).get());
  }

  /**
   * The value of {@code --top-p} (default 1).
   *
   * @throws InvalidInputException when it is not in (0, 1]
   */
  static double topP(CommandLine cmd) {
    double topP = CliOptions.doubleOpt(cmd, "top-p", 1.0);
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("--top-p must be in (0, 1], got " + topP);
    }
    return topP;
  }

  /**
   * The path of {@code --data}, or null when it is not given.
   *
   * @throws InvalidInputException when it does not exist
   */
  static Path data(CommandLine cmd) {
    Path data = cmd.hasOption("data") ? Path.of(cmd.getOptionValue("data")) : null;
    if (data != null && !Files.exists(data)) {
      throw new InvalidInputException("--data " + data + " does not exist");
    }
    return data;
  }

  /**
   * Checks that {@code --model} names a directory.
   *
   * @throws InvalidInputException when it does not
   */
  static void checkModelDir(Path model) {
    if (!Files.isDirectory(model)) {
      throw new InvalidInputException("--model " + model + " is not a directory");
    }
  }
}
