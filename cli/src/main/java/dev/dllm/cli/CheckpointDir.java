package dev.dllm.cli;

import dev.dllm.trainer.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a {@code --checkpoint}/{@code --init-from} option's checkpoint lives. */
final class CheckpointDir {
  private CheckpointDir() {}

  /**
   * The checkpoint folder that {@code given} names: {@code given} itself when it holds {@code
   * config.json}, else a run folder's {@code checkpoint/} when that holds one, else {@code given}
   * (the caller names the missing file).
   */
  static Path of(Path given) {
    return !Files.isRegularFile(given.resolve(Checkpoint.CONFIG_FILE))
            && Files.isRegularFile(given.resolve("checkpoint").resolve(Checkpoint.CONFIG_FILE))
        ? given.resolve("checkpoint")
        : given;
  }
}
