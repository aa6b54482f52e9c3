package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.TrainingDivergedException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An IsoFLOP sweep as a Java API ({@code dllm sweep}; the demo may call it): trains every (family,
 * objective, preset, budget) with the {@link Trainer} (steps from the budget, spec §7.7) into
 * {@code out/<family>[-<objective>]/<preset>/C<budget>/}. Resumable: a run whose checkpoint has
 * reached its planned steps and that has a report is skipped, a run with an unfinished checkpoint
 * is resumed with the same options, any other run starts fresh. After every run {@code runs.csv}
 * (one row per run with its status, then every other finished run already in the folder, so that a
 * smaller grid rerun into it drops no row) is rewritten atomically. A run the trainer refuses as
 * bad input (for example a budget too small for one step of a large preset) is recorded with its
 * message and the sweep goes on; a run that diverges (non-finite loss or gradient norm) is recorded
 * as diverged with the trainer's message and is not retried: divergence is deterministic for the
 * same options since the use-after-free behind the old spurious stops was fixed (issue 7 §1).
 */
public final class Sweep {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Sweep() {}

  /**
   * The sweep.
   *
   * @param runs every (family, objective or null, preset, budget) to train
   * @param base training options shared by every run (data, tokenizer, L, B, lr, seed, threads,
   *     validation and checkpoint cadence); family, objective, preset, flops and out are set per
   *     run
   * @param out the sweep folder
   */
  public record Plan(List<Run> runs, TrainConfig.Builder base, Path out) {}

  /**
   * One run of the sweep.
   *
   * @param objective null for the family default
   */
  public record Run(String family, String objective, String preset, double flops) {
    /** The run's folder under the sweep folder. */
    public Path dir(Path out) {
      String series = objective == null ? family : family + "-" + objective;
      return out.resolve(series).resolve(preset).resolve(budgetName(flops));
    }
  }

  /** {@code C1e12}, {@code C3e12}, {@code C1.5e13}. */
  static String budgetName(double c) {
    String s = String.format(Locale.ROOT, "%.3g", c).replace("e+", "e").replace("+", "");
    if (!s.contains("e")) {
      s = String.format(Locale.ROOT, "%.2e", c).replace("e+", "e");
    }
    String[] parts = s.split("e");
    String mant =
        parts[0].contains(".") ? parts[0].replaceAll("0+$", "").replaceAll("\\.$", "") : parts[0];
    return "C" + mant + "e" + Integer.parseInt(parts[1]);
  }

  /** State of a run folder. */
  enum State {
    NEW,
    INTERRUPTED,
    FINISHED
  }

  static State state(Path dir) {
    Path ck = dir.resolve("checkpoint").resolve("config.json");
    if (Files.isRegularFile(ck)) {
      try {
        JsonNode t = new ObjectMapper().readTree(ck.toFile()).path("training");
        long step = t.path("step").asLong(-1);
        long total = t.path("total_steps").asLong(-2);
        if (step == total && Files.isRegularFile(dir.resolve("train-report.json"))) {
          return State.FINISHED;
        }
        return State.INTERRUPTED;
      } catch (IOException e) {
        return State.INTERRUPTED; // let the trainer report what is wrong with it
      }
    }
    if (Files.exists(dir.resolve(".checkpoint.prev"))) {
      return State.INTERRUPTED;
    }
    return State.NEW;
  }

  /**
   * Refuses, before any training, a plan whose runs already in the folder (finished or interrupted,
   * with options stored in their checkpoint) were trained with other options: the folder name keys
   * only family, objective, preset and budget, so a rerun with another L, B, lr, corpus, seed, ...
   * would otherwise skip them as finished and mix two settings in {@code runs.csv} and the fit.
   * Threads, checkpoint and validation cadence may differ ({@link ResumeOptions#CHANGEABLE}).
   *
   * @throws InvalidInputException naming the run folder, the option and both values
   */
  static void requireSameSettings(Plan plan) {
    for (Run r : plan.runs()) {
      Path dir = r.dir(plan.out());
      if (state(dir) == State.NEW) {
        continue;
      }
      TrainConfig stored;
      try {
        stored = dev.dllm.trainer.StoredRunConfig.read(dir);
      } catch (InvalidInputException e) {
        continue; // a broken checkpoint: the trainer refuses that run and the sweep records it
      }
      if (stored == null) {
        continue; // written before options were stored: the trainer checks what it can
      }
      String objective =
          dev.dllm.trainer.Objectives.resolve(
              dev.dllm.trainer.Objectives.forFamily(r.family()), r.objective());
      TrainConfig planned = configure(plan, r, dir).objective(objective).build();
      for (ResumeOptions.Fixed f : ResumeOptions.TRAIN) {
        Object was = f.value().apply(stored);
        Object now = f.value().apply(planned);
        if (!java.util.Objects.equals(was, now)) {
          throw new InvalidInputException(
              "--out "
                  + plan.out()
                  + ": its run "
                  + dir
                  + " was trained with --"
                  + f.options().get(0)
                  + " "
                  + was
                  + ", this sweep asks for "
                  + now
                  + "; a sweep folder holds one setting: repeat the earlier options or choose"
                  + " another --out");
        }
      }
    }
  }

  /** The options of run {@code r} of the plan, trained into {@code dir}. */
  static TrainConfig.Builder configure(Plan plan, Run r, Path dir) {
    return plan.base()
        .family(r.family())
        .objective(r.objective())
        .preset(r.preset())
        .flops(r.flops())
        .steps(0)
        .out(dir)
        .stopAfter(0);
  }

  /**
   * Trains runs of a plan somewhere else than this thread (the Spark runner of {@code
   * distributed-spark}): every run it is given must end with the status {@link #trainOne} would
   * give it ({@code finished}, {@code refused: ...}, {@code diverged: ...}) or {@code failed:
   * ERROR} when it failed for good.
   */
  public interface RunExecutor {
    /**
     * Trains {@code pending} (indices into {@code plan.runs()}, none finished yet).
     *
     * @return the status of each pending run, in the order of {@code pending}
     */
    List<String> train(Plan plan, List<Integer> pending, PrintStream log) throws IOException;
  }

  /**
   * Runs the plan one run after the other; returns the number of runs finished (now or before).
   *
   * @throws InvalidInputException before any training when runs already in the folder were trained
   *     with other options ({@link #requireSameSettings})
   */
  public static int run(Plan plan, PrintStream log) throws IOException {
    return run(plan, log, null);
  }

  /**
   * Runs the plan: finished runs are skipped, the others trained by {@code executor} (all at once;
   * {@code runs.csv} is written before and after) or, when it is null, here one after the other
   * ({@code runs.csv} rewritten after every run). Returns the number of runs finished (now or
   * before).
   *
   * @throws InvalidInputException before any training when runs already in the folder were trained
   *     with other options ({@link #requireSameSettings})
   */
  public static int run(Plan plan, PrintStream log, RunExecutor executor) throws IOException {
    requireSameSettings(plan);
    List<String> status = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < plan.runs().size(); i++) {
      if (state(plan.runs().get(i).dir(plan.out())) == State.FINISHED) {
        log.println(head(plan, i) + ": finished earlier, skipped");
        status.add("finished");
      } else {
        status.add(null);
        pending.add(i);
      }
    }
    SweepCsv.write(plan, status);
    if (executor == null) {
      for (int i : pending) {
        status.set(i, trainOne(plan, i, log));
        SweepCsv.write(plan, status);
      }
    } else if (!pending.isEmpty()) {
      List<String> done = executor.train(plan, pending, log);
      for (int k = 0; k < pending.size(); k++) {
        status.set(pending.get(k), done.get(k));
      }
      SweepCsv.write(plan, status);
    }
    return (int) status.stream().filter("finished"::equals).count();
  }

  /** {@code [2/4] mdlm/low_var xs C=1e+12}. */
  private static String head(Plan plan, int i) {
    Run r = plan.runs().get(i);
    return String.format(
        Locale.ROOT,
        "[%d/%d] %s%s %s C=%.3g",
        i + 1,
        plan.runs().size(),
        r.family(),
        r.objective() == null ? "" : "/" + r.objective(),
        r.preset(),
        r.flops());
  }

  /**
   * Trains run {@code i} of the plan (resuming its checkpoint when it has an unfinished one) and
   * returns its status for {@code runs.csv}: {@code finished}, {@code refused: MESSAGE} (bad input
   * for this run) or {@code diverged: MESSAGE}. Any other failure is thrown.
   *
   * @param stopAfter 0, or stop (with a checkpoint) after this many steps: the run then stays
   *     unfinished (a test of resuming uses it)
   */
  public static String trainOne(Plan plan, int i, PrintStream log, long stopAfter)
      throws IOException {
    Run r = plan.runs().get(i);
    Path dir = r.dir(plan.out());
    String head = head(plan, i);
    State now = state(dir);
    if (now == State.FINISHED) {
      return "finished"; // a retried task whose first attempt finished the run
    }
    log.println(head + (now == State.INTERRUPTED ? ": resuming " + dir : ": training " + dir));
    TrainConfig.Builder b =
        configure(plan, r, dir).resume(now == State.INTERRUPTED ? dir : null).stopAfter(stopAfter);
    try {
      TrainReport rep = new Trainer(b.build(), log).run();
      log.printf(
          Locale.ROOT, "%s: %d steps, val %.4f nats/token%n", head, rep.steps(), rep.valNll());
      return stopAfter > 0 ? "stopped" : "finished";
    } catch (InvalidInputException e) {
      log.println(head + ": not trained: " + e.getMessage());
      return "refused: " + e.getMessage();
    } catch (TrainingDivergedException e) {
      // deterministic for these options; the last good checkpoint is kept for inspection
      log.println(head + ": diverged: " + e.getMessage());
      return "diverged: " + e.getMessage();
    }
  }

  /** {@link #trainOne(Plan, int, PrintStream, long)} to the end of the run. */
  public static String trainOne(Plan plan, int i, PrintStream log) throws IOException {
    return trainOne(plan, i, log, 0);
  }
}
