package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code --scorer} value of {@code eval}, {@code pareto} and {@code demo}: an AR export folder,
 * {@value #DEFAULT} (the scorer bundled in the jar, {@link BundledScorer}) or {@value
 * #TRAIN_DEFAULT} (an AR {@code s} trained once on first use and cached, {@link DefaultScorer}).
 */
final class ScorerArg {
  static final String DEFAULT = "default";
  static final String TRAIN_DEFAULT = "train-default";

  /**
   * Help text of the option: what each value is, and the gen-PPL unit rule ({@link
   * dev.dllm.eval.metrics.GenPplUnit}). Each command appends its own default.
   */
  static final String HELP =
      "AR export that scores samples (gen PPL, per token of the scorer's tokenizer): DIR; default"
          + " = the scorer bundled in dllm (AR xs, char, trained by dllm on the bundled Tiny"
          + " Shakespeare: its gen PPL is per character, and for a model with another tokenizer"
          + " NOT comparable to the model's tokens, which the console then says); train-default ="
          + " train an AR s at 4e13 FLOPs once and cache it";

  private ScorerArg() {}

  /**
   * Checks {@code arg} without side effects.
   *
   * @throws InvalidInputException when it is a path that is not a directory
   */
  static void check(String arg) {
    if (arg.isBlank()) {
      throw new InvalidInputException("--scorer must not be empty");
    }
    if (!arg.equals(DEFAULT) && !arg.equals(TRAIN_DEFAULT) && !Files.isDirectory(Path.of(arg))) {
      throw new InvalidInputException(
          "--scorer "
              + arg
              + " is not a directory; give an AR export folder, "
              + DEFAULT
              + " or "
              + TRAIN_DEFAULT);
    }
  }

  /**
   * The export folder {@code arg} names: the bundled scorer extracted into the cache, the trained
   * default (training it first when missing), or the folder itself.
   *
   * @throws PackagingException when {@value #DEFAULT} is asked for and the jar lacks its files
   */
  static Path resolve(String arg, PrintStream log) throws IOException {
    check(arg);
    return switch (arg) {
      case DEFAULT -> BundledScorer.ensure(log);
      case TRAIN_DEFAULT -> DefaultScorer.ensure(null, log);
      default -> Path.of(arg);
    };
  }
}
