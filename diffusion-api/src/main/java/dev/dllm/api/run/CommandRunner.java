package dev.dllm.api.run;

import dev.dllm.api.InvalidInputException;
import java.io.PrintStream;

/**
 * Runs one {@code dllm} command and turns its outcome into the process exit code, the one place
 * where dllm's exit-code rules live (used by the CLI's {@code Main} and the server's {@code
 * ServerMain}; only those process entry points call {@link System#exit}):
 *
 * <ul>
 *   <li>{@value #OK}: the command's own code, normally 0;
 *   <li>{@value #BAD_INPUT}: {@link InvalidInputException} (a file, field or option the user gave):
 *       one line {@code <label>: <message>}, plus the {@link UsageException#hint() hint} line of a
 *       usage error; the stack trace only when verbose;
 *   <li>{@value #OWN_FAULT}: {@link OwnFaultException} (our fault, with a complete message): one
 *       line {@code <label>: <message>}; anything else thrown (a bug): {@code <label>: error: <the
 *       exception>} and a pointer to {@code --verbose}, or the stack trace when verbose.
 * </ul>
 */
public final class CommandRunner {
  /** Success. */
  public static final int OK = 0;

  /** Our own fault: a bug or a broken installation, never the user's input. */
  public static final int OWN_FAULT = 1;

  /** Bad user input. */
  public static final int BAD_INPUT = 2;

  private CommandRunner() {}

  /** A command's body: returns its exit code or throws. */
  @FunctionalInterface
  public interface Body {
    /**
     * @return the exit code
     * @throws Exception any failure; mapped by {@link CommandRunner#run}
     */
    int run() throws Exception;
  }

  /**
   * Runs {@code body} and maps what it throws to an exit code, printing the message on {@code err}.
   *
   * @param label the prefix of every message, e.g. {@code "dllm train"}
   * @param verbose print stack traces
   * @param err where messages go (standard error)
   * @param body the command
   * @return the exit code: the body's, {@link #BAD_INPUT} or {@link #OWN_FAULT}
   */
  public static int run(String label, boolean verbose, PrintStream err, Body body) {
    try {
      return body.run();
    } catch (InvalidInputException e) {
      err.println(label + ": " + e.getMessage());
      if (e instanceof UsageException u && u.hint() != null) {
        err.println(u.hint());
      } else {
        trace(verbose, err, e);
      }
      return BAD_INPUT;
    } catch (OwnFaultException e) {
      err.println(label + ": " + e.getMessage());
      trace(verbose, err, e);
      return OWN_FAULT;
    } catch (Exception | Error e) {
      err.println(label + ": error: " + e);
      if (!verbose) {
        err.println("(run with --verbose for the stack trace)");
      }
      trace(verbose, err, e);
      return OWN_FAULT;
    }
  }

  /** The one place a stack trace is printed: only with {@code --verbose}. */
  private static void trace(boolean verbose, PrintStream err, Throwable e) {
    if (verbose) {
      e.printStackTrace(err);
    }
  }
}
