package dev.dllm.spark;

import dev.dllm.eval.run.SampleChunks;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The sample units of eval or pareto as Spark tasks, one partition per unit (model, steps, first
 * sample index), results collected in the order of the units; {@link SampleChunks#combine} sums
 * them on the driver.
 */
final class SparkSampler implements SampleChunks.Runner {
  private final String master;
  private final int cpus;

  SparkSampler(String master, int cpus) {
    this.master = master;
    this.cpus = cpus;
  }

  @Override
  public List<SampleChunks.Result> run(List<SampleChunks.Task> tasks) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    try (JavaSparkContext sc = SparkContexts.open(master, "dllm samples", cpus)) {
      return run(sc, master, tasks);
    }
  }

  /**
   * The units on an open context.
   *
   * @throws dev.dllm.api.InvalidInputException when Spark stopped the context (a standalone master
   *     that went away) before the units were done
   */
  static List<SampleChunks.Result> run(
      JavaSparkContext sc, String master, List<SampleChunks.Task> tasks) {
    try {
      return sc.parallelize(tasks, tasks.size()).map(new SampleTask()).collect();
    } catch (RuntimeException e) { // IllegalStateException: "Cannot call methods on a stopped ..."
      if (sc.sc().isStopped()) {
        throw SparkContexts.stopped(master, e);
      }
      throw e;
    }
  }
}
