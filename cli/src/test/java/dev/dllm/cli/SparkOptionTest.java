package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --spark} without the distributed-spark module, and the arguments a task gets. */
class SparkOptionTest {
  @TempDir Path tmp;

  @Test
  void sparkWithoutTheModuleIsRefusedBeforeAnyWork() {
    Path out = tmp.resolve("sweep");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        Main.run(
            new String[] {
              "sweep",
              "--families",
              "ar",
              "--presets",
              "xxs",
              "--flops",
              "1e8",
              "--out",
              out.toString(),
              "--spark"
            },
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, rc);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("distributed-spark is not on the class path"), e);
    assertFalse(Files.exists(out), "nothing trained or written");
  }

  @Test
  void argumentsRoundTripWithoutSpark() throws Exception {
    SweepCommand c = new SweepCommand();
    String[] args = {
      "--families",
      "ar,mdlm",
      "--presets",
      "xxs",
      "--flops",
      "1e8,2e8",
      "--out",
      "o",
      "--spark",
      "local[2]",
      "--seq-len",
      "16"
    };
    CommandLine cmd = new DefaultParser().parse(c.options(), args);
    assertEquals("local[2]", DistributedRunner.master(cmd));
    List<String> again = DistributedRunner.argsWithout(cmd, DistributedRunner.OPTION);
    assertEquals(
        List.of(
            "--families",
            "ar,mdlm",
            "--presets",
            "xxs",
            "--flops",
            "1e8,2e8",
            "--out",
            "o",
            "--seq-len",
            "16"),
        again);
    CommandLine bare = new DefaultParser().parse(c.options(), new String[] {"--spark"});
    assertEquals(
        "local[" + Runtime.getRuntime().availableProcessors() + "]",
        DistributedRunner.master(bare));
  }

  @Test
  void helpSaysMasterIsOptional() {
    // commons-cli prints "--spark <MASTER>" even for an optional value: the text must say so
    String d = DistributedRunner.sparkOption("one run per task").getDescription();
    assertTrue(d.contains("MASTER is optional"), d);
    assertTrue(d.contains("local[N]"), d);
  }
}
