package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  private final CliRun cli = new CliRun();

  private int run(String... args) {
    return cli.run(args);
  }

  @Test
  void bothBudgetsIsBadInput(@TempDir Path tmp) {
    int code =
        run("train", "--family", "ar", "--steps", "3", "--flops", "1e12", "--out", tmp.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    assertTrue(cli.err().contains("--flops"), cli.err());
  }

  @Test
  void unknownFamilyListsTheRegisteredOnes(@TempDir Path tmp) {
    int code = run("train", "--family", "nope", "--steps", "1", "--out", tmp.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    String e = cli.err();
    assertTrue(e.contains("nope") && e.contains("mdlm"), e);
  }

  @Test
  void tooSmallFlopsBudgetIsBadInput(@TempDir Path tmp) {
    int code =
        run(
            "train",
            "--family",
            "ar",
            "--preset",
            "xxs",
            "--seq-len",
            "16",
            "--batch",
            "2",
            "--flops",
            "10",
            "--out",
            tmp.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    assertTrue(cli.err().contains("buys no optimizer step"), cli.err());
  }

  @Test
  void tinyRunWritesCheckpointAndReport(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("run");
    int code = run(CliRun.tinyTrain("mdlm", dir, "--objective", "low_var"));
    assertEquals(0, code, cli.err());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("train-report.json").toFile());
    assertEquals("mdlm", report.get("family").asText());
    assertEquals("low_var", report.get("objective").asText());
    assertEquals(2, report.get("steps").asInt());
    assertEquals(2 * 4 * 16, report.get("tokens").asLong());
    assertTrue(Files.isRegularFile(dir.resolve("checkpoint").resolve("config.json")));
  }

  @Test
  void nonPositiveStepsOrFlopsNameTheValue(@TempDir Path tmp) {
    for (String[] c :
        new String[][] {
          {"--steps", "0", "--steps must be >= 1, got 0"},
          {"--steps", "-3", "--steps must be >= 1, got -3"},
          {"--flops", "0", "--flops must be a finite number > 0, got 0"},
          {"--flops", "-1e12", "--flops must be a finite number > 0, got -1e12"},
        }) {
      int code = run("train", "--family", "ar", c[0], c[1], "--out", tmp.toString());
      assertEquals(Main.EXIT_BAD_INPUT, code, c[1]);
      assertTrue(cli.err().contains(c[2]), cli.err());
    }
  }

  @Test
  void outHoldingARunOrUnderAFileIsBadInputBeforeTraining(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("run").resolve("checkpoint")).getParent();
    int code = run("train", "--family", "ar", "--steps", "1", "--out", dir.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    String e = cli.err();
    assertTrue(e.contains(dir + " already holds a training run; use --resume " + dir), e);

    Path file = Files.writeString(tmp.resolve("file"), "x");
    code = run("train", "--family", "ar", "--steps", "1", "--out", file.resolve("run").toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    e = cli.err();
    assertTrue(e.contains(file + " is a file"), e);
    assertTrue(cli.out().isEmpty(), "no training output");
  }
}
