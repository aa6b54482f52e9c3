package dev.dllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm sweep --spark local[2]} against the serial sweep of the same grid and seed. */
class SparkSweepTest {
  @TempDir static Path tmp;
  static Path data;
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void corpus() throws Exception {
    data = tmp.resolve("corpus.txt");
    Files.writeString(data, "to be or not to be, that is the question.\n".repeat(60));
  }

  @AfterEach
  void noHook() {
    System.clearProperty(SweepTask.FAULT_HOOK);
    System.clearProperty("spark.task.maxFailures");
  }

  /** xxs at B=4, L=16 costs ~3.9e7 FLOPs per step: 1e8 is 2 steps, 3e8 is 7. */
  private static String[] sweep(Path out, String families, String flops, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "sweep",
                "--families",
                families,
                "--presets",
                "xxs",
                "--flops",
                flops,
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
                "--checkpoint-every",
                "1"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  private static double valNll(Path runDir) throws Exception {
    return JSON.readTree(runDir.resolve("train-report.json").toFile()).path("val_nll").asDouble();
  }

  @Test
  void fourRunSweepOnSparkWritesTheSerialRows() throws Exception {
    Path serial = tmp.resolve("serial");
    Path spark = tmp.resolve("spark");
    CliRuns.Outcome s = CliRuns.run(sweep(serial, "ar,mdlm", "1e8,2e8"));
    assertEquals(0, s.rc(), s.err());
    CliRuns.Outcome d = CliRuns.run(sweep(spark, "ar,mdlm", "1e8,2e8", "--spark", "local[2]"));
    assertEquals(0, d.rc(), d.err());
    assertTrue(d.out().contains("4 of 4 runs finished"), d.out());
    List<String> rows = CliRuns.runsCsv(serial);
    assertEquals(5, rows.size(), rows.toString());
    assertEquals(rows, CliRuns.runsCsv(spark));
    // a restart skips every finished run and trains nothing
    CliRuns.Outcome again = CliRuns.run(sweep(spark, "ar,mdlm", "1e8,2e8", "--spark", "local[2]"));
    assertEquals(0, again.rc(), again.err());
    assertEquals(4, again.out().split("finished earlier, skipped", -1).length - 1, again.out());
    assertEquals(rows, CliRuns.runsCsv(spark));
  }

  @Test
  void taskDyingOnItsFirstAttemptIsRetriedAndResumesItsCheckpoint() throws Exception {
    Path serial = tmp.resolve("whole");
    assertEquals(0, CliRuns.run(sweep(serial, "ar", "2e8")).rc());
    Path spark = tmp.resolve("retried");
    System.setProperty(SweepTask.FAULT_HOOK, "0:2"); // run 0 dies after step 2 of 5
    java.io.ByteArrayOutputStream tasks = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    System.setOut(new java.io.PrintStream(tasks, true, java.nio.charset.StandardCharsets.UTF_8));
    CliRuns.Outcome d;
    try { // local[2] runs its tasks in this JVM: their log is on System.out
      d = CliRuns.run(sweep(spark, "ar", "2e8", "--spark", "local[2]"));
    } finally {
      System.setOut(stdout);
    }
    assertEquals(0, d.rc(), d.err());
    String log = tasks.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(log.contains("C=2.00e+08: resuming " + spark.resolve("ar/xxs/C2e8")), log);
    Path run = spark.resolve("ar/xxs/C2e8");
    JsonNode report = JSON.readTree(run.resolve("train-report.json").toFile());
    assertEquals(5, report.path("steps").asLong());
    assertEquals(valNll(serial.resolve("ar/xxs/C2e8")), valNll(run));
    assertEquals(CliRuns.runsCsv(serial), CliRuns.runsCsv(spark));
  }

  @Test
  void runFailingForGoodIsRecordedAndTheOthersFinish() throws Exception {
    Path spark = tmp.resolve("failing");
    System.setProperty(SweepTask.FAULT_HOOK, "0:1");
    System.setProperty("spark.task.maxFailures", "1"); // no retry: the first failure is final
    CliRuns.Outcome d = CliRuns.run(sweep(spark, "ar,mdlm", "1e8", "--spark", "local[2]"));
    assertEquals(0, d.rc(), d.err());
    assertTrue(d.out().contains("1 of 2 runs finished"), d.out());
    List<String> rows = Files.readAllLines(spark.resolve("runs.csv"));
    assertTrue(
        rows.get(1).contains(",failed: IllegalStateException: injected failure of run 0"),
        rows.toString());
    assertTrue(rows.get(2).contains(",finished,"), rows.toString());
  }
}
