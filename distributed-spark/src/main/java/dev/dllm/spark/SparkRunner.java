package dev.dllm.spark;

import dev.dllm.cli.DistributedRunner;
import dev.dllm.cli.Sweep;
import dev.dllm.eval.run.SampleChunks;
import java.util.List;

/**
 * {@code dllm sweep|eval|pareto --spark MASTER} on Apache Spark ({@link DistributedRunner}, found
 * through {@code ServiceLoader}): a sweep's runs as tasks ({@link SparkSweep}), the sample units of
 * eval and pareto as tasks ({@link SparkSampler}). Runs, reports and exports must be on a path
 * every executor reaches (a shared file system on a cluster).
 */
public final class SparkRunner implements DistributedRunner {
  @Override
  public Sweep.RunExecutor sweep(String master, List<String> sweepArgs, int threads) {
    return new SparkSweep(master, sweepArgs, Math.max(1, threads));
  }

  @Override
  public SampleChunks.Runner sampler(String master, int threads) {
    return new SparkSampler(master, Math.max(1, threads));
  }
}
