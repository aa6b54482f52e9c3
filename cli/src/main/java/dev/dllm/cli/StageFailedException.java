package dev.dllm.cli;

import dev.dllm.api.run.OwnFaultException;

/**
 * A stage of a composite command (the demo) failed for a reason other than bad input: Main prints
 * the message, which names the stage and its own error, on one line and exits with code 1.
 */
final class StageFailedException extends OwnFaultException {
  private static final long serialVersionUID = 1L;

  StageFailedException(String message) {
    super(message);
  }
}
