package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.trainer.StoredRunConfig;
import dev.dllm.trainer.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.apache.commons.cli.CommandLine;

/**
 * {@code --resume DIR} without repeating the options: the run's stored options ({@link
 * StoredRunConfig}) are the defaults of a resumed {@code dllm train} or {@code dllm distill}; an
 * option given again with its stored value is accepted, one with another value is refused naming
 * the option and both values. Only {@link #CHANGEABLE} may differ: they do not change what is
 * trained (threads change the float summation order, so a changed {@code --threads} keeps the run
 * valid but not bit-identical to an uninterrupted one).
 */
final class ResumeOptions {
  /** The options a resumed run may change (the others are the run's). */
  static final List<String> CHANGEABLE =
      List.of("threads", "checkpoint-every", "val-every", "log-every", "stop-after", "out");

  /**
   * One option of the run, compared between the stored and the resumed config.
   *
   * @param options the command-line names that set it (the first names it when none was given)
   * @param value its value in a config, as shown in the message (null = absent)
   */
  record Fixed(List<String> options, Function<TrainConfig, Object> value) {
    static Fixed of(String option, Function<TrainConfig, Object> value) {
      return new Fixed(List.of(option), value);
    }
  }

  /** The options of {@code dllm train} that a resume keeps, in the order they are checked. */
  static final List<Fixed> TRAIN =
      List.of(
          Fixed.of("family", TrainConfig::family),
          Fixed.of("objective", TrainConfig::objective),
          new Fixed(List.of("preset", "model-config"), ResumeOptions::model),
          Fixed.of("data", c -> data(c.data())),
          Fixed.of("tokenizer", TrainConfig::tokenizer),
          Fixed.of("mode", TrainConfig::mode),
          Fixed.of("newlines", TrainConfig::newlines),
          Fixed.of("seq-len", TrainConfig::seqLen),
          Fixed.of("batch", TrainConfig::batch),
          Fixed.of("accum", TrainConfig::accumulation),
          new Fixed(List.of("steps", "flops"), ResumeOptions::length),
          Fixed.of("lr", TrainConfig::lr),
          Fixed.of("min-lr", TrainConfig::minLr),
          Fixed.of("warmup", c -> c.warmup() < 0 ? "default" : c.warmup()),
          Fixed.of("beta2", c -> c.adamW().beta2()),
          Fixed.of("weight-decay", c -> c.adamW().weightDecay()),
          Fixed.of("clip", TrainConfig::clipNorm),
          Fixed.of("ema", TrainConfig::ema),
          Fixed.of("dropout", TrainConfig::dropout),
          Fixed.of("seed", TrainConfig::seed),
          Fixed.of("val-batches", c -> c.valBatches() == 0 ? "all" : c.valBatches()),
          new Fixed(List.of("option", "alpha0", "batch-split"), c -> c.familyTraining().options()),
          Fixed.of("init-from", c -> absolute(c.familyTraining().initFrom())),
          Fixed.of("steps-per-round", c -> c.familyTraining().teacherRefresh()));

  /** The options of {@code dllm distill} that a resume keeps, in the order they are checked. */
  static final List<Fixed> DISTILL =
      List.of(
          Fixed.of("checkpoint", c -> absolute(c.familyTraining().initFrom())),
          Fixed.of("steps-per-round", c -> c.familyTraining().teacherRefresh()),
          Fixed.of("rounds", c -> c.steps() / Math.max(1, c.familyTraining().teacherRefresh())),
          Fixed.of("grid", DistillCommand::storedGrid),
          Fixed.of("data", c -> data(c.data())),
          Fixed.of("seq-len", TrainConfig::seqLen),
          Fixed.of("batch", TrainConfig::batch),
          Fixed.of("lr", TrainConfig::lr),
          Fixed.of("warmup", c -> c.warmup() < 0 ? "default" : c.warmup()),
          Fixed.of("seed", TrainConfig::seed),
          Fixed.of("val-batches", c -> c.valBatches() == 0 ? "all" : c.valBatches()));

  private ResumeOptions() {}

  /**
   * The {@link OutputLock} on the run folder that {@code --resume DIR} names ({@code DIR}, or its
   * parent when {@code DIR} is the run's {@code checkpoint/}), or null without {@code --resume}.
   * The trainer takes the same lock again (re-entrant) on {@code --out}, which defaults to that
   * folder.
   *
   * @param command the command that holds it, e.g. {@code dllm train}
   * @throws InvalidInputException naming {@code --resume} and the holder when another process
   *     trains that run
   */
  static OutputLock lockResumed(CommandLine cmd, String command) {
    if (!cmd.hasOption("resume")) {
      return null;
    }
    Path abs = Path.of(cmd.getOptionValue("resume")).toAbsolutePath().normalize();
    Path name = abs.getFileName();
    boolean isCheckpoint =
        name != null
            && name.toString().equals("checkpoint")
            && abs.getParent() != null
            && !java.nio.file.Files.isDirectory(abs.resolve("checkpoint"));
    return OutputLock.acquire(isCheckpoint ? abs.getParent() : abs, "resume", command);
  }

  /**
   * The stored options of the run that {@code --resume} names, or null for a fresh run or a
   * checkpoint written before options were stored (its options must then be repeated).
   *
   * @throws InvalidInputException when the folder {@code --resume} names does not exist
   */
  static TrainConfig stored(CommandLine cmd) {
    if (!cmd.hasOption("resume")) {
      return null;
    }
    Path resume = Path.of(cmd.getOptionValue("resume"));
    Path abs = resume.toAbsolutePath().normalize();
    Path prev = // a checkpoint folder moved aside by a crash mid-save
        abs.getParent() == null ? abs : abs.getParent().resolve("." + abs.getFileName() + ".prev");
    if (!java.nio.file.Files.exists(resume) && !java.nio.file.Files.isDirectory(prev)) {
      throw new InvalidInputException(
          "--resume " + resume + " does not exist; give the folder of the run to continue");
    }
    return StoredRunConfig.read(resume);
  }

  /**
   * {@code --out}: as given, else (resuming a run with stored options) the folder of the run.
   *
   * @throws InvalidInputException when it is required and missing
   */
  static Path out(CommandLine cmd, TrainConfig stored) {
    if (cmd.hasOption("out") || stored == null) {
      return Path.of(TrainCommand.required(cmd, "out"));
    }
    Path run = StoredRunConfig.runFolder(Path.of(cmd.getOptionValue("resume")));
    if (run == null) {
      throw new InvalidInputException(
          "--out is required: --resume " + cmd.getOptionValue("resume") + " is not a run folder");
    }
    return run;
  }

  /**
   * Refuses a resumed config that differs from the stored one in an option of {@code fixed}.
   *
   * @throws InvalidInputException naming the option, the stored and the given value
   */
  static void requireSame(
      CommandLine cmd, TrainConfig stored, TrainConfig given, List<Fixed> fixed) {
    for (Fixed f : fixed) {
      Object was = f.value().apply(stored);
      Object now = f.value().apply(given);
      if (!Objects.equals(was, now)) {
        String option =
            f.options().stream().filter(cmd::hasOption).findFirst().orElse(f.options().get(0));
        throw new InvalidInputException(
            "--resume "
                + cmd.getOptionValue("resume")
                + ": --"
                + option
                + " differs from the run being resumed: stored "
                + was
                + ", given "
                + now
                + "; a resumed run keeps its options (leave it out to use the stored value; only --"
                + String.join(", --", CHANGEABLE)
                + " may change)");
      }
    }
  }

  private static Object model(TrainConfig c) {
    return c.modelConfig() != null
        ? "--model-config " + absolute(c.modelConfig())
        : "--preset " + c.preset();
  }

  private static Object length(TrainConfig c) {
    return c.flops() > 0 ? "--flops " + c.flops() : "--steps " + c.steps();
  }

  private static Object data(Path p) {
    return p == null ? "(bundled Tiny Shakespeare)" : absolute(p);
  }

  private static String absolute(Path p) {
    return p == null ? null : p.toAbsolutePath().normalize().toString();
  }
}
