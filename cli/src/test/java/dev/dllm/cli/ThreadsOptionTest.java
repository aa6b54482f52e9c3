package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 §6: {@code --threads} is refused above 4 × the cores, warned about above the cores, and
 * every {@code --help} that has it says what 0 means. Limits are computed from this machine's
 * {@link Runtime#availableProcessors}, as the code under test does.
 */
class ThreadsOptionTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @BeforeEach
  void forgetWarnings() {
    ThreadsOption.resetWarnings();
  }

  @Test
  void everyCommandThatTakesThreadsDocumentsZeroAndTheLimits() {
    List<String> declaring = new ArrayList<>();
    for (Command c : Commands.all()) {
      Option o = c.options().getOption("threads");
      if (o == null) {
        continue;
      }
      declaring.add(c.name());
      String d = o.getDescription();
      assertTrue(d.contains("0 = ") || d.contains("0 is not accepted"), c.name() + ": " + d);
      assertTrue(d.contains("above the " + CORES + " cores warns"), c.name() + ": " + d);
      assertTrue(d.contains("above " + 4 * CORES + " (4 x cores) is refused"), c.name() + ": " + d);
      assertTrue(d.contains("(default "), c.name() + ": " + d);
    }
    assertTrue(
        declaring.containsAll(
            List.of(
                "train",
                "distill",
                "finetune",
                "sweep",
                "sample",
                "eval",
                "task-eval",
                "prompt-eval",
                "score",
                "pareto",
                "bench-sample",
                "bench-train",
                "demo")),
        "commands with --threads: " + declaring);
  }

  @Test
  void zeroMeansTheEnginesChoiceInEachEngine() {
    assertTrue(
        option(ThreadsOption.Engine.PYTORCH, 0).contains("0 = PyTorch's default, every core"));
    assertTrue(option(ThreadsOption.Engine.ORT, 0).contains("0 = ONNX Runtime's choice"));
    assertTrue(option(ThreadsOption.Engine.DEMO, 1).contains("0 is not accepted here"));
  }

  @Test
  void trainingRefusesMoreThanFourTimesTheCores() throws Exception {
    TrainConfig.Builder b = TrainConfig.builder();
    CommandLine cmd = train("--threads", Integer.toString(4 * CORES + 1));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> RunOptions.apply(cmd, b, 1, null));
    assertTrue(
        e.getMessage()
            .startsWith(
                "--threads "
                    + (4 * CORES + 1)
                    + " is more than 4 x the "
                    + CORES
                    + " cores of this machine (at most "
                    + 4 * CORES
                    + ")"),
        e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> RunOptions.apply(train("--threads", "1000"), b, 1, null));
  }

  @Test
  void samplingRefusesMoreThanFourTimesTheCoresAndKeepsZero() throws Exception {
    Options o = SampleOptions.options();
    CommandLine tooMany =
        new DefaultParser().parse(o, new String[] {"--threads", Integer.toString(4 * CORES + 1)});
    assertThrows(InvalidInputException.class, () -> SampleOptions.ortConfig(tooMany));
    OrtConfig zero =
        SampleOptions.ortConfig(new DefaultParser().parse(o, new String[] {"--threads", "0"}));
    assertEquals(0, zero.threads());
    OrtConfig none = SampleOptions.ortConfig(new DefaultParser().parse(o, new String[0]));
    assertEquals(0, none.threads());
  }

  @Test
  void aboveTheCoresWarnsOnceAtTheCoresOrZeroNot() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream warn = new PrintStream(buf, true, StandardCharsets.UTF_8);
    int over = CORES + 1; // <= 4 x cores for every core count
    assertEquals(over, ThreadsOption.parse(train("--threads", Integer.toString(over)), 1, 0, warn));
    String w = buf.toString(StandardCharsets.UTF_8);
    assertEquals(
        "dllm: warning: --threads "
            + over
            + " is more than the "
            + CORES
            + " cores of this machine; threads beyond the cores compete for them and usually run"
            + " slower",
        w.strip());
    ThreadsOption.parse(train("--threads", Integer.toString(over)), 1, 0, warn);
    assertEquals(w, buf.toString(StandardCharsets.UTF_8), "one warning per process and count");
    buf.reset();
    assertEquals(
        CORES, ThreadsOption.parse(train("--threads", Integer.toString(CORES)), 1, 0, warn));
    assertEquals(0, ThreadsOption.parse(train("--threads", "0"), 1, 0, warn));
    assertEquals(1, ThreadsOption.parse(train(), 1, 0, warn));
    assertEquals("", buf.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aStoredCountAboveTheLimitIsKeptWithAWarningNotRefused() throws Exception {
    // a run resumed on a smaller machine keeps its stored threads (only a given value is checked)
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream warn = new PrintStream(buf, true, StandardCharsets.UTF_8);
    int stored = 4 * CORES + 3;
    assertEquals(stored, ThreadsOption.parse(train(), stored, 0, warn));
    assertTrue(
        buf.toString(StandardCharsets.UTF_8).contains("--threads " + stored), buf.toString());
  }

  @Test
  void theMinimumStillApplies() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ThreadsOption.check("0", 1));
    assertEquals("--threads must be >= 1, got 0", e.getMessage());
    assertEquals(1, ThreadsOption.check("1", 1));
  }

  private static String option(ThreadsOption.Engine e, int min) {
    return ThreadsOption.option(e, "x", min).getDescription();
  }

  private static CommandLine train(String... args) throws Exception {
    Options o = new Options();
    RunOptions.add(o);
    return new DefaultParser().parse(o, args);
  }
}
