package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A training run's output folder ({@code --out}): checked before anything is trained, created just
 * before the first step. It may not be a file, a checkpoint folder, or a folder inside another run
 * (e.g. {@code --out RUN/checkpoint}), whose files a new run would mix with its own.
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

  /**
   * Checks that {@code --out} is, or can be created as, a folder: it is not a file, its nearest
   * existing ancestor is a folder, and it is neither a checkpoint folder nor inside another run.
   *
   * @throws InvalidInputException naming {@code --out} and what is in the way
   */
  static void checkPath(Path out) {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new InvalidInputException(
          "--out " + out + " is a file; expected a folder for checkpoint/ and train-report.json");
    }
    for (Path p = out.toAbsolutePath().normalize().getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new InvalidInputException(
              "--out " + out + ": " + p + " is a file, not a folder; choose another --out");
        }
        break;
      }
    }
    refuseInsideRun(out);
  }

  /**
   * Checks {@code --out} before anything is trained: it must be (or be creatable as) a folder and
   * must not hold another run, unless that run is the one being resumed.
   *
   * @param resumeDir the checkpoint folder of {@code --resume}, or null
   * @throws InvalidInputException naming {@code --out} and what is in the way
   */
  static void checkOut(TrainConfig config, Path resumeDir) {
    Path out = config.out();
    checkPath(out);
    boolean holdsRun =
        Files.exists(config.checkpointDir(), LinkOption.NOFOLLOW_LINKS)
            || Files.exists(out.resolve(".checkpoint.prev"), LinkOption.NOFOLLOW_LINKS)
            || Files.exists(config.reportFile(), LinkOption.NOFOLLOW_LINKS);
    if (!holdsRun) {
      return;
    }
    if (resumeDir == null) {
      throw new InvalidInputException(
          out
              + " already holds a training run; use --resume "
              + out
              + " to continue it or choose another --out");
    }
    if (!sameDir(resumeDir, config.checkpointDir())) {
      throw new InvalidInputException(
          "--out "
              + out
              + " already holds another training run than --resume "
              + config.resume()
              + "; choose another --out");
    }
  }

  private static boolean sameDir(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Creates {@code --out} (after the options were checked, before training).
   *
   * @throws InvalidInputException when it cannot be created or is not writable
   */
  static void createOut(Path out) {
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      String why =
          e instanceof java.nio.file.AccessDeniedException
              ? "permission denied"
              : e instanceof java.nio.file.FileAlreadyExistsException
                  ? "a file is in the way"
                  : e instanceof java.nio.file.NoSuchFileException
                      ? "cannot create its parent folder"
                      : e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                          ? f.getReason()
                          : e.getClass().getSimpleName();
      throw new InvalidInputException("--out " + out + ": cannot create the folder (" + why + ")");
    }
    if (!Files.isWritable(out)) {
      throw new InvalidInputException("--out " + out + ": the folder is not writable");
    }
  }

  private static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }
}
