package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A shutdown hook for {@code dllm train}: when the JVM is stopped (SIGTERM, SIGINT) during
 * training, prints one line naming the step of the last checkpoint written and the command that
 * resumes the run. {@link #close} removes the hook when training returns (normally or by an error),
 * so a finished or refused run prints nothing.
 */
final class TrainStopNotice implements AutoCloseable {
  private final Thread hook;

  private TrainStopNotice(Thread hook) {
    this.hook = hook;
  }

  /**
   * Installs the hook for the run folder {@code out} (its checkpoint is {@code out/checkpoint}).
   *
   * @param log where the line goes (stdout of dllm train)
   */
  static TrainStopNotice install(Path out, PrintStream log) {
    Thread t =
        new Thread(
            () -> {
              log.println(message(out, checkpointStep(out.resolve("checkpoint"))));
              log.flush();
            },
            "dllm-train-stop");
    Runtime.getRuntime().addShutdownHook(t);
    return new TrainStopNotice(t);
  }

  /**
   * The line printed when a run is stopped.
   *
   * @param out the run folder (what {@code --resume} takes)
   * @param step the step of its last checkpoint, or null when none was written
   */
  static String message(Path out, Long step) {
    if (step == null) {
      return "stopped before the first checkpoint: nothing to resume in " + shellWord(out);
    }
    return "stopped at step "
        + step
        + " (the last checkpoint); resume with: dllm train --resume "
        + shellWord(out);
  }

  /**
   * The {@code training.step} of the checkpoint in {@code dir} ({@link Checkpoint#CONFIG_FILE}), or
   * null when there is none or it cannot be read.
   */
  static Long checkpointStep(Path dir) {
    Path f = dir.resolve(Checkpoint.CONFIG_FILE);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      JsonNode step = new ObjectMapper().readTree(f.toFile()).at("/training/step");
      return step.isIntegralNumber() ? step.asLong() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** {@code p} as one shell word: as is when plain, else in single quotes. */
  static String shellWord(Path p) {
    String s = p.toString();
    return s.matches("[A-Za-z0-9/._+:=@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  /** Removes the hook (training returned); a no-op once the JVM is shutting down. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs (or ran): nothing to remove
    }
  }
}
