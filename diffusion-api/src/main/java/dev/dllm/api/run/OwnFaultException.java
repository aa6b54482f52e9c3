package dev.dllm.api.run;

/**
 * Our own fault, with a message that already says what failed (a stage of a composite command, a
 * resource missing from the dllm jar): printed on one line without a stack trace (unless verbose),
 * exit code {@value CommandRunner#OWN_FAULT}. Never used for bad user input.
 */
public class OwnFaultException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, complete enough to act on
   */
  public OwnFaultException(String message) {
    super(message);
  }
}
