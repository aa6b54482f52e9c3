package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm score} on samples files it cannot score: bytes that are not UTF-8, and samples with
 * no token to score. Each is bad input: exit 2, one line naming the file, no report written (not
 * exit 1 with a {@code MalformedInputException}, nor exit 0 with a gen PPL of NaN).
 */
class ScoreBadInputTest {
  @TempDir static Path tmp;
  static Path ar;

  @BeforeAll
  static void scorer() throws Exception {
    ar = TinyExports.export("ar", 1, tmp.resolve("ar"));
  }

  private static void assertRefused(Path samples, String reason) {
    CliRun cli = new CliRun();
    Path report = tmp.resolve(samples.getFileName() + ".report.json");
    int rc =
        cli.run(
            "score",
            "--samples",
            samples.toString(),
            "--scorer",
            ar.toString(),
            "--out",
            report.toString());
    String e = cli.err().strip();
    assertEquals(2, rc, e);
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.contains(samples.toString()) && e.contains(reason), e);
    assertFalse(e.contains("Exception"), e);
    assertFalse(Files.exists(report));
  }

  @Test
  void aFileThatIsNotUtf8IsNamed() throws Exception {
    Path samples = tmp.resolve("latin1.jsonl");
    Files.write(samples, "{\"text\": \"abc\"}\n{\"text\": \"caf\u00e9\"}\n".getBytes("ISO-8859-1"));
    assertRefused(samples, "not valid UTF-8");
  }

  @Test
  void samplesWithNoTokenToScoreAreRefused() throws Exception {
    Path samples = tmp.resolve("empty-texts.jsonl");
    Files.writeString(samples, "{\"text\": \"\"}\n{\"ids\": []}\n");
    assertRefused(samples, "no token to score");
  }
}
