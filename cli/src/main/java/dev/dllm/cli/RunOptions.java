package dev.dllm.cli;

import static dev.dllm.cli.CliOptions.opt;

import dev.dllm.trainer.TrainConfig;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * The options of a {@link dev.dllm.trainer.Trainer} run that {@code dllm train} and {@code dllm
 * distill} share: the seed, threads, validation cap and the stop/log cadence, with the same names,
 * help and parsing.
 */
final class RunOptions {
  private RunOptions() {}

  /** Adds {@code --seed --threads --val-batches --stop-after --log-every}, in this order. */
  static void add(Options o) {
    o.addOption(opt("seed", "S", "seed; every draw of step s derives from (seed, s) (default 1)"));
    o.addOption(
        ThreadsOption.option(
            ThreadsOption.Engine.PYTORCH,
            "all "
                + ThreadsOption.cores()
                + " cores, the fastest; same seed and threads give the same losses"));
    o.addOption(opt("val-batches", "N", "cap on validation batches (default: whole split)"));
    o.addOption(opt("stop-after", "N", "stop after N steps of the planned run (resume later)"));
    o.addOption(
        opt("log-every", "N", "log line every N steps when not on a terminal (default 10)"));
  }

  /**
   * Sets the options of {@link #add} on {@code b}: {@code --seed} (else {@code seed}), {@code
   * --threads} (else all cores), {@code --val-batches} (else 0 = the whole split), {@code
   * --stop-after} (at least 1 when given; else 0 = none) and {@code --log-every} (else 10). A
   * resumed run's stored seed, threads, validation cap and log cadence replace those defaults.
   *
   * @param stored the resumed run's stored options ({@link ResumeOptions#stored}), or null
   * @throws dev.dllm.api.InvalidInputException naming the option for a malformed or out-of-range
   *     value
   */
  static void apply(CommandLine cmd, TrainConfig.Builder b, long seed, TrainConfig stored) {
    b.seed(CliOptions.longOpt(cmd, "seed", stored != null ? stored.seed() : seed, Long.MIN_VALUE));
    b.threads(
        ThreadsOption.parse(cmd, stored != null ? stored.threads() : ThreadsOption.cores(), 0));
    b.valBatches(
        CliOptions.intOpt(cmd, "val-batches", stored != null ? stored.valBatches() : 0, 0));
    b.stopAfter(CliOptions.longOpt(cmd, "stop-after", 0, 1)); // given: at least one step
    b.logEvery(CliOptions.longOpt(cmd, "log-every", stored != null ? stored.logEvery() : 10, 1));
  }
}
