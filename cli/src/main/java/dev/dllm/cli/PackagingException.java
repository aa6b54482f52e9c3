package dev.dllm.cli;

import dev.dllm.api.run.OwnFaultException;

/**
 * A file that should ship inside the dllm jar is missing or malformed (for example the bundled
 * gen-PPL scorer): our fault, not the user's, so Main prints the message, which names the resource,
 * on one line and exits with code 1.
 */
final class PackagingException extends OwnFaultException {
  private static final long serialVersionUID = 1L;

  PackagingException(String message) {
    super(message);
  }
}
