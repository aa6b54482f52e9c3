package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.run.SampleChunks;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * The seam between the CLI and a distributed engine (the {@code distributed-spark} module), found
 * through {@link ServiceLoader} so that the CLI never depends on the engine at compile time: {@code
 * dllm sweep|eval|pareto --spark [MASTER]} asks it for an executor of the same work the serial
 * commands do ({@link Sweep#trainOne} per run, {@link SampleChunks#sample}/{@link
 * SampleChunks#score} per batch of samples).
 */
public interface DistributedRunner {
  /** The option's long name. */
  String OPTION = "spark";

  /**
   * An executor that trains every pending run of a sweep as its own task.
   *
   * @param master the Spark master URL ({@code local[N]}, {@code spark://host:7077}, ...)
   * @param sweepArgs the arguments of {@code dllm sweep} without {@code --spark}: each executor
   *     rebuilds the plan from them ({@link SweepCommand#plan})
   * @param threads PyTorch threads per run, the cores each task takes ({@code spark.task.cpus})
   */
  Sweep.RunExecutor sweep(String master, List<String> sweepArgs, int threads);

  /**
   * A runner of sample batches (model, steps, first sample index) as tasks, each executor JVM
   * opening an export once.
   *
   * @param master the Spark master URL
   * @param threads ONNX Runtime threads per task ({@code spark.task.cpus}; 0 = 1 core)
   */
  SampleChunks.Runner sampler(String master, int threads);

  /**
   * {@code --spark [MASTER]}.
   *
   * @param what what a task is, for the help
   */
  static Option sparkOption(String what) {
    return Option.builder()
        .longOpt(OPTION)
        .hasArg()
        .optionalArg(true)
        .argName("MASTER")
        .desc(
            "run on Apache Spark (needs the distributed-spark module); MASTER is optional: --spark"
                + " alone runs on local[N], N = cores, or give local[K] or spark://host:port: "
                + what)
        .get();
  }

  /** The value of {@code --spark}, or {@code local[N]} with N the available cores. */
  static String master(CommandLine cmd) {
    String m = cmd.getOptionValue(OPTION);
    if (m == null || m.isBlank()) {
      return "local[" + Runtime.getRuntime().availableProcessors() + "]";
    }
    return m.trim();
  }

  /**
   * The runner on the class path.
   *
   * @throws InvalidInputException when none is (exit 2)
   */
  static DistributedRunner find() {
    Iterator<DistributedRunner> it = ServiceLoader.load(DistributedRunner.class).iterator();
    if (!it.hasNext()) {
      throw new InvalidInputException(
          "--spark: distributed-spark is not on the class path; run through the dllm launcher"
              + " (it adds the module for sweep, eval and pareto) or add"
              + " distributed-spark/target/classes and its class path");
    }
    return it.next();
  }

  /** The parsed options as arguments again ({@code --name value ...}), without {@code skip}. */
  static List<String> argsWithout(CommandLine cmd, String... skip) {
    Set<String> drop = Set.of(skip);
    List<String> out = new ArrayList<>();
    for (Option o : cmd.getOptions()) {
      String name = o.getLongOpt() != null ? o.getLongOpt() : o.getOpt();
      if (drop.contains(name)) {
        continue;
      }
      String[] values = o.getValues();
      if (values == null || values.length == 0) {
        out.add("--" + name);
      } else {
        for (String v : values) {
          out.add("--" + name);
          out.add(v);
        }
      }
    }
    return out;
  }
}
