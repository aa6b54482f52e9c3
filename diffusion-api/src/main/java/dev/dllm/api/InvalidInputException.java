package dev.dllm.api;

/**
 * Bad user input (a file, a field, an option): the CLI prints the message on one line and exits
 * with code 2. The message names the file or field and what was expected.
 */
public class InvalidInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
