package dev.dllm.trainer;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checkpoints a run reads: the one it resumes ({@code --resume}) and the one whose weights it
 * starts from ({@code --init-from}). Writing is {@link CheckpointSaver}'s.
 */
final class RunCheckpoints {
  private RunCheckpoints() {}

  /**
   * The checkpoint folder that {@code --resume} names: the folder itself, or {@code DIR/checkpoint}
   * when DIR is a run's output folder.
   */
  static Path resumeCheckpoint(Path resume) {
    if (!Files.exists(resume.resolve(Checkpoint.CONFIG_FILE))) {
      Path inner = resume.resolve("checkpoint");
      if (Files.isDirectory(inner) || Files.isDirectory(resume.resolve(".checkpoint.prev"))) {
        return inner;
      }
    }
    return resume;
  }

  /**
   * The checkpoint of {@code --init-from} (weights and tokenizer to start from, fresh optimizer),
   * or null when none is given.
   *
   * @throws InvalidInputException when it cannot be read or is another family's
   */
  static Checkpoint.Loaded init(TrainConfig config, DiffusionFamily family) {
    Path from = config.familyTraining().initFrom();
    if (from == null) {
      return null;
    }
    Checkpoint.Loaded init = load(resumeCheckpoint(from));
    if (!init.family().equals(family.name())) {
      throw new InvalidInputException(
          "--init-from "
              + from
              + ": checkpoint is family '"
              + init.family()
              + "', not '"
              + family.name()
              + "'");
    }
    return init;
  }

  /**
   * Loads the checkpoint in {@code dir}.
   *
   * @throws InvalidInputException naming {@code dir} when it cannot be read
   */
  static Checkpoint.Loaded load(Path dir) {
    try {
      return Checkpoint.load(dir);
    } catch (IOException e) {
      throw new InvalidInputException(
          "--resume " + dir + ": cannot read (" + e.getMessage() + ")", e);
    }
  }
}
