package dev.dllm.api.run;

import dev.dllm.api.InvalidInputException;

/**
 * A command line that does not parse (an unknown option, a missing value): bad input, printed with
 * a second line pointing to the command's help. Exit code {@value CommandRunner#BAD_INPUT}.
 */
public final class UsageException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  private final String hint;

  /**
   * @param message what is wrong, naming the option
   * @param hint the line printed after it, e.g. {@code run 'dllm train --help' for the options}
   */
  public UsageException(String message, String hint) {
    super(message);
    this.hint = hint;
  }

  /** The line printed after the message (may be null). */
  public String hint() {
    return hint;
  }
}
