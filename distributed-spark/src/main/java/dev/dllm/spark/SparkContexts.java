package dev.dllm.spark;

import dev.dllm.api.InvalidInputException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Spark context of one {@code dllm} job: the master, {@code spark.task.cpus} and the task
 * retries. In {@code local[N]} Spark never retries a task ({@code spark.task.maxFailures} is a
 * cluster setting), so {@code local[N]} runs as {@code local[N,F]} with F = {@code
 * spark.task.maxFailures} (default 4): a task that dies is retried as it would be on a cluster.
 * Other {@code spark.*} settings come from system properties ({@code -Dspark.executor.memory=8g} in
 * {@code DLLM_JAVA_OPTS}), as {@link SparkConf} reads them.
 */
final class SparkContexts {
  /** Spark's default of {@code spark.task.maxFailures}. */
  static final int DEFAULT_MAX_FAILURES = 4;

  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(?:,(\\d+))?]");

  private SparkContexts() {}

  /**
   * A new context.
   *
   * @param master {@code local[N]}, {@code local[N,F]}, {@code local[*]}, {@code spark://...}, ...
   * @param app the application name the Spark UI shows
   * @param cpus cores per task ({@code spark.task.cpus}), &gt;= 1
   * @throws InvalidInputException for a {@code local[N]} with fewer than {@code cpus} cores (no
   *     task could ever start)
   */
  static JavaSparkContext open(String master, String app, int cpus) {
    SparkConf conf = new SparkConf().setAppName(app);
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.set("spark.task.cpus", Integer.toString(cpus));
    Matcher m = LOCAL.matcher(master);
    if (m.matches()) {
      int cores =
          m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : parse(m.group(1));
      if (cores < cpus) {
        throw new InvalidInputException(
            "--spark "
                + master
                + " has "
                + cores
                + " cores and every task takes --threads "
                + cpus
                + " (spark.task.cpus); give local[N] with N >= "
                + cpus
                + " or fewer --threads");
      }
      int failures =
          m.group(2) != null ? parse(m.group(2)) : maxFailures(conf, DEFAULT_MAX_FAILURES);
      conf.set("spark.task.maxFailures", Integer.toString(failures));
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      conf.setMaster("local[" + cores + "," + failures + "]");
    } else {
      conf.setMaster(master);
    }
    try {
      return new JavaSparkContext(conf);
    } catch (Exception e) { // SparkException (a bad master URL) is thrown unchecked from Scala
      throw new InvalidInputException(
          "--spark " + master + ": Spark did not start: " + e.getMessage(), e);
    }
  }

  /** The attempts a task gets before it fails for good. */
  static int maxFailures(SparkConf conf, int fallback) {
    return conf.getInt("spark.task.maxFailures", fallback);
  }

  private static int parse(String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("--spark: '" + digits + "' is not a number of cores");
    }
  }
}
