package dev.dllm.spark;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
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
 *
 * <p>The master URL is checked before Spark starts, so that a typo or a master that is not running
 * is one line and exit 2: Spark itself logs a stack trace for an unparsable URL, and for a
 * standalone master nobody answers it retries for a minute, then stops the context under the
 * running job.
 */
final class SparkContexts {
  /** Spark's default of {@code spark.task.maxFailures}. */
  static final int DEFAULT_MAX_FAILURES = 4;

  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(?:,(\\d+))?]");

  /** {@code local-cluster[workers, cores per worker, MiB per worker]}, as Spark's own tests use. */
  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*]");

  /** One {@code host:port} of a standalone master list. */
  private static final Pattern HOST_PORT =
      Pattern.compile("([^\\s:,/]+|\\[[0-9a-fA-F:.]+]):(\\d{1,5})");

  /** How long a standalone master gets to accept a TCP connection before it counts as absent. */
  static final int CONNECT_TIMEOUT_MS = 5000;

  private SparkContexts() {}

  /**
   * A new context.
   *
   * @param master {@code local[N]}, {@code local[N,F]}, {@code local[*]}, {@code spark://...}, ...
   * @param app the application name the Spark UI shows
   * @param cpus cores per task ({@code spark.task.cpus}), &gt;= 1
   * @throws InvalidInputException for a master URL spark-core cannot run ({@link #checkMaster}), a
   *     standalone master that accepts no connection, or a {@code local[N]} with fewer than {@code
   *     cpus} cores (no task could ever start)
   */
  static JavaSparkContext open(String master, String app, int cpus) {
    List<InetSocketAddress> standalone = checkMaster(master);
    if (!standalone.isEmpty()) {
      requireReachable(master, standalone, CONNECT_TIMEOUT_MS);
    }
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

  /**
   * Checks the form of a master URL as spark-core (the only Spark module dllm ships) accepts it:
   * {@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}, {@code
   * local-cluster[W,C,M]} or {@code spark://HOST:PORT[,HOST:PORT...]} (YARN and Kubernetes need
   * Spark modules that are not on the class path).
   *
   * @param master the {@code --spark} value
   * @return the {@code host:port} addresses of a standalone master, empty for the local masters
   * @throws InvalidInputException naming the value and the forms expected
   */
  static List<InetSocketAddress> checkMaster(String master) {
    if (master.equals("local")
        || LOCAL.matcher(master).matches()
        || LOCAL_CLUSTER.matcher(master).matches()) {
      return List.of();
    }
    List<InetSocketAddress> addresses = new ArrayList<>();
    if (master.startsWith("spark://")) {
      for (String hp : master.substring("spark://".length()).split(",", -1)) {
        Matcher m = HOST_PORT.matcher(hp);
        int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
        if (port < 1 || port > 65535) {
          addresses = null;
          break;
        }
        String host = m.group(1).replaceAll("^\\[|]$", "");
        addresses.add(InetSocketAddress.createUnresolved(host, port));
      }
      if (addresses != null) {
        return addresses;
      }
    }
    throw new InvalidInputException(
        "--spark '"
            + master
            + "': expected local, local[N], local[*], local[N,F] (F attempts per task) or"
            + " spark://HOST:PORT (a standalone master; several as spark://H1:P1,H2:P2)");
  }

  /**
   * Refuses a standalone master none of whose addresses accepts a TCP connection within {@code
   * timeoutMillis}, before Spark starts: Spark would retry the registration for a minute and then
   * stop the context under the running job.
   *
   * @throws InvalidInputException naming the master and why each address failed
   */
  static void requireReachable(
      String master, List<InetSocketAddress> addresses, int timeoutMillis) {
    List<String> why = new ArrayList<>();
    for (InetSocketAddress a : addresses) {
      InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
      if (resolved.isUnresolved()) {
        why.add(a.getHostString() + ": unknown host");
        continue;
      }
      try (Socket s = new Socket()) {
        s.connect(resolved, timeoutMillis);
        return;
      } catch (IOException e) {
        why.add(a.getHostString() + ":" + a.getPort() + ": " + e.getMessage());
      }
    }
    throw new InvalidInputException(
        "--spark "
            + master
            + ": no Spark master answers ("
            + String.join("; ", why)
            + "); start one (sbin/start-master.sh of a Spark 4.2 distribution) or fix the URL");
  }

  /**
   * The error for work that failed because Spark stopped the context (a standalone master that went
   * away or gave the application up): bad input (the cluster), not a fault of the runs.
   */
  static InvalidInputException stopped(String master, RuntimeException cause) {
    return new InvalidInputException(
        "--spark "
            + master
            + ": Spark stopped the context before the work was done (for spark://, is the master"
            + " still running and does it have workers? see the Spark lines above)",
        cause);
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
