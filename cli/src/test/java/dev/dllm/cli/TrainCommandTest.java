package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void bothBudgetsIsBadInput(@TempDir Path tmp) {
    int code =
        run("train", "--family", "ar", "--steps", "3", "--flops", "1e12", "--out", tmp.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--flops"), err.toString());
  }

  @Test
  void unknownFamilyListsTheRegisteredOnes(@TempDir Path tmp) {
    int code = run("train", "--family", "nope", "--steps", "1", "--out", tmp.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    String e = err.toString(StandardCharsets.UTF_8);
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
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("buys no optimizer step"), err.toString());
  }

  @Test
  void tinyRunWritesCheckpointAndReport(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("run");
    int code =
        run(
            "train",
            "--family",
            "mdlm",
            "--objective",
            "low_var",
            "--preset",
            "xxs",
            "--seq-len",
            "16",
            "--batch",
            "4",
            "--steps",
            "2",
            "--threads",
            "1",
            "--val-batches",
            "1",
            "--out",
            dir.toString());
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
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
      err.reset();
      int code = run("train", "--family", "ar", c[0], c[1], "--out", tmp.toString());
      assertEquals(Main.EXIT_BAD_INPUT, code, c[1]);
      assertTrue(err.toString(StandardCharsets.UTF_8).contains(c[2]), err.toString());
    }
  }

  @Test
  void outHoldingARunOrUnderAFileIsBadInputBeforeTraining(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("run").resolve("checkpoint")).getParent();
    int code = run("train", "--family", "ar", "--steps", "1", "--out", dir.toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains(dir + " already holds a training run; use --resume " + dir), e);

    err.reset();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    code = run("train", "--family", "ar", "--steps", "1", "--out", file.resolve("run").toString());
    assertEquals(Main.EXIT_BAD_INPUT, code);
    e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains(file + " is a file"), e);
    assertTrue(out.toString(StandardCharsets.UTF_8).isEmpty(), "no training output");
  }
}
