package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What a training run's output folder may not be: a checkpoint folder, or a folder inside another
 * run (e.g. {@code --out RUN/checkpoint}), whose files a new run would mix with its own.
 */
final class RunFolders {
  private RunFolders() {}

  /**
   * True when {@code dir} is the output folder of a run: it holds a checkpoint (checkpoint/ or the
   * .checkpoint.prev/ kept while one is replaced, with its config.json) or a train-report.json.
   */
  static boolean holdsRun(Path dir) {
    return exists(dir.resolve("checkpoint").resolve(Checkpoint.CONFIG_FILE))
        || exists(dir.resolve(".checkpoint.prev").resolve(Checkpoint.CONFIG_FILE))
        || exists(dir.resolve("train-report.json"));
  }

  /** True when {@code dir} is a checkpoint folder (config.json beside model.safetensors). */
  static boolean isCheckpoint(Path dir) {
    return exists(dir.resolve(Checkpoint.CONFIG_FILE))
        && exists(dir.resolve(Checkpoint.MODEL_FILE));
  }

  /**
   * Refuses an {@code --out} that is a checkpoint folder or lies inside another run's folder.
   *
   * @throws InvalidInputException naming {@code --out} and the run or checkpoint it would be in
   */
  static void refuseInsideRun(Path out) {
    Path target = out.toAbsolutePath().normalize();
    for (Path p = target; p != null; p = p.getParent()) {
      if (isCheckpoint(p)) {
        throw new InvalidInputException(
            "--out "
                + out
                + (p.equals(target) ? " is" : " is inside")
                + " the checkpoint folder "
                + p
                + "; choose a folder outside it for the new run");
      }
      if (!p.equals(target) && holdsRun(p)) {
        throw new InvalidInputException(
            "--out "
                + out
                + " is inside the training run "
                + p
                + "; choose a folder outside it (or --resume "
                + p
                + " --out "
                + p
                + " to continue that run)");
      }
    }
  }

  private static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }
}
