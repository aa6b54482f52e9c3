package dev.dllm.spark;

import dev.dllm.cli.Sweep;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A sweep's pending runs on Spark: each run is its own job of one task ({@code spark.task.cpus} =
 * the run's PyTorch threads), all submitted at once, so a run that fails for good (every attempt of
 * its task) is recorded {@code failed: ERROR} and never stops the others. A retried task finds the
 * run folder its earlier attempt left and resumes from the last checkpoint ({@link
 * Sweep#trainOne}); finished runs never reach here ({@link Sweep#run} skips them).
 */
final class SparkSweep implements Sweep.RunExecutor {
  private final String master;
  private final List<String> args;
  private final int cpus;

  /**
   * @param master Spark master URL
   * @param args {@code dllm sweep} arguments without {@code --spark}
   * @param cpus cores per task
   */
  SparkSweep(String master, List<String> args, int cpus) {
    this.master = master;
    this.args = List.copyOf(args);
    this.cpus = cpus;
  }

  @Override
  public List<String> train(Sweep.Plan plan, List<Integer> pending, PrintStream log) {
    try (JavaSparkContext sc = SparkContexts.open(master, "dllm sweep", cpus)) {
      int attempts = SparkContexts.maxFailures(sc.getConf(), SparkContexts.DEFAULT_MAX_FAILURES);
      SweepTask task = new SweepTask(args, attempts, sc.getConf().get(SweepTask.FAULT_HOOK, ""));
      log.printf(
          Locale.ROOT,
          "spark %s: %d runs, one task each (%d cores, up to %d attempts)%n",
          sc.master(),
          pending.size(),
          cpus,
          attempts);
      return run(sc, master, pending, task);
    }
  }

  /**
   * Submits one job per pending run and waits for all.
   *
   * @return each run's status, in the order of {@code pending}
   * @throws dev.dllm.api.InvalidInputException when Spark stopped the context before every run
   *     finished (a standalone master that went away): the runs did not fail, so none is recorded
   *     {@code failed}
   */
  static List<String> run(
      JavaSparkContext sc, String master, List<Integer> pending, SweepTask task) {
    List<String> status = new ArrayList<>();
    try {
      List<JavaFutureAction<List<String>>> jobs = new ArrayList<>();
      for (int i : pending) {
        jobs.add(sc.parallelize(List.of(i), 1).map(task).collectAsync());
      }
      for (JavaFutureAction<List<String>> job : jobs) {
        status.add(outcome(job));
      }
    } catch (IllegalStateException e) {
      if (sc.sc().isStopped()) {
        throw SparkContexts.stopped(master, e);
      }
      throw e;
    }
    if (sc.sc().isStopped() && !status.stream().allMatch("finished"::equals)) {
      throw SparkContexts.stopped(master, null);
    }
    return status;
  }

  /** The run's status, or {@code failed: ...} when Spark gave up on its job. */
  private static String outcome(JavaFutureAction<List<String>> job) {
    try {
      return job.get().get(0);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      return "failed: " + SweepTask.describe(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      job.cancel(true);
      return "failed: interrupted";
    }
  }
}
