package dev.dllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.run.SampleChunks;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad {@code --spark} masters are one line and exit 2 before Spark starts (Spark logged a stack
 * trace for an unparsable URL; for a standalone master nobody answers it retried for a minute, then
 * the sweep exited 0 with every run recorded {@code failed: IllegalStateException ...}).
 */
class SparkMasterTest {
  @TempDir Path tmp;

  @Test
  void masterFormsSparkCoreRunsAreAccepted() {
    for (String m :
        List.of("local", "local[2]", "local[*]", "local[2,4]", "local-cluster[2,1,512]")) {
      assertEquals(List.of(), SparkContexts.checkMaster(m), m);
    }
    List<InetSocketAddress> two = SparkContexts.checkMaster("spark://head:7077,[::1]:7078");
    assertEquals(2, two.size());
    assertEquals("head", two.get(0).getHostString());
    assertEquals(7077, two.get(0).getPort());
    assertEquals("::1", two.get(1).getHostString());
    assertEquals(7078, two.get(1).getPort());
  }

  @Test
  void malformedMastersNameTheValueAndTheFormsExpected() {
    for (String m :
        List.of(
            "foo://bar",
            "local[abc]",
            "spark://head",
            "spark://head:99999",
            "yarn",
            "",
            "spark://")) {
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> SparkContexts.checkMaster(m), m);
      assertTrue(e.getMessage().startsWith("--spark '" + m + "': expected local"), e.getMessage());
    }
  }

  @Test
  void sweepWithAMalformedMasterExitsTwoBeforeSparkStarts() throws Exception {
    Path out = tmp.resolve("sw");
    CliRuns.Outcome d = CliRuns.run(sweep(out, "foo://bar"));
    assertEquals(2, d.rc(), d.err());
    assertEquals(
        "dllm sweep: --spark 'foo://bar': expected local, local[N], local[*], local[N,F] (F attempts"
            + " per task) or spark://HOST:PORT (a standalone master; several as"
            + " spark://H1:P1,H2:P2)\n",
        d.err());
  }

  @Test
  void sweepWithAStandaloneMasterNobodyAnswersExitsTwoAndRecordsNoFailedRun() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String master = "spark://127.0.0.1:" + port;
    Path out = tmp.resolve("unreachable");
    CliRuns.Outcome d = CliRuns.run(sweep(out, master));
    assertEquals(2, d.rc(), d.out() + d.err());
    assertTrue(
        d.err()
            .startsWith("dllm sweep: --spark " + master + ": no Spark master answers (127.0.0.1:"),
        d.err());
    assertEquals(1, d.err().lines().count(), d.err());
    if (Files.exists(out.resolve("runs.csv"))) {
      assertFalse(Files.readString(out.resolve("runs.csv")).contains("failed"));
    }
  }

  @Test
  void workOnAContextSparkStoppedIsBadInputNotFailedRuns() {
    JavaSparkContext sc =
        new JavaSparkContext(
            new SparkConf()
                .setAppName("stopped")
                .setMaster("local[1]")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    sc.stop(); // what Spark does when a standalone master gives the application up
    InvalidInputException sweep =
        assertThrows(
            InvalidInputException.class,
            () ->
                SparkSweep.run(
                    sc, "spark://head:7077", List.of(0), new SweepTask(List.of(), 1, "")));
    assertTrue(sweep.getMessage().startsWith("--spark spark://head:7077: Spark stopped"));
    List<SampleChunks.Task> none = java.util.Arrays.asList((SampleChunks.Task) null);
    InvalidInputException samples =
        assertThrows(
            InvalidInputException.class, () -> SparkSampler.run(sc, "spark://head:7077", none));
    assertTrue(samples.getMessage().startsWith("--spark spark://head:7077: Spark stopped"));
  }

  private String[] sweep(Path out, String master) throws java.io.IOException {
    Path data = tmp.resolve("corpus.txt");
    Files.writeString(data, "to be or not to be, that is the question.\n".repeat(60));
    return new String[] {
      "sweep",
      "--families",
      "ar",
      "--presets",
      "xxs",
      "--flops",
      "1e8",
      "--out",
      out.toString(),
      "--data",
      data.toString(),
      "--seq-len",
      "16",
      "--batch",
      "4",
      "--threads",
      "1",
      "--val-batches",
      "1",
      "--spark",
      master
    };
  }
}
