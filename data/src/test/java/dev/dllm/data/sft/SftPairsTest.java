package dev.dllm.data.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SftPairs}: both record kinds, the GSM8K template, errors with file and line, split. */
class SftPairsTest {
  @TempDir Path tmp;

  private Path write(String name, String text) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  static Path gsm8kHead() throws URISyntaxException {
    return Path.of(SftPairsTest.class.getResource("/sft/gsm8k-train-head.jsonl").toURI());
  }

  @Test
  void readsGsm8kRecordsDirectlyWithTheTemplate() throws Exception {
    List<SftPair> pairs = SftPairs.read(gsm8kHead());
    assertEquals(5, pairs.size());
    SftPair first = pairs.get(0);
    assertEquals(SftPairs.FORMAT_GSM8K, first.format());
    assertEquals(1, first.line());
    assertTrue(first.prompt().startsWith("Question: Natalia sold clips"), first.prompt());
    assertTrue(first.prompt().endsWith("in April and May?\nAnswer:"), first.prompt());
    assertTrue(first.response().startsWith(" Natalia sold 48/2 = <<48/2=24>>24"));
    assertTrue(first.response().endsWith("\n#### 72"), first.response());
  }

  @Test
  void readsTheSharedGsm8kTrainFileWhenPresent() {
    Path shared = Path.of("/work/shared/data/gsm8k/train.jsonl");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(shared));
    List<SftPair> pairs = SftPairs.read(shared);
    assertEquals(7473, pairs.size());
    assertTrue(pairs.stream().allMatch(p -> p.response().contains("#### ")));
  }

  @Test
  void readsPromptResponseRecordsAsGivenSkippingBlankLinesAndCrlf() throws Exception {
    Path f =
        write(
            "p.jsonl",
            "{\"prompt\": \"ab\", \"response\": \"cd\", \"id\": 7}\r\n\n"
                + "   \n{\"question\": \"q\", \"answer\": \"a\"}\n");
    List<SftPair> pairs = SftPairs.read(f);
    assertEquals(2, pairs.size());
    assertEquals(new SftPair("ab", "cd", 1, SftPairs.FORMAT_PAIRS), pairs.get(0));
    assertEquals(new SftPair("Question: q\nAnswer:", " a", 4, SftPairs.FORMAT_GSM8K), pairs.get(1));
  }

  @Test
  void malformedRecordsNameFileAndLine() throws Exception {
    String ok = "{\"prompt\": \"a\", \"response\": \"b\"}\n";
    Object[][] cases = {
      {ok + "{\"prompt\": \"a\", \"response\": \n", ":2: not a JSON object"},
      {ok + ok + "[1, 2]\n", ":3: expected a JSON object, got array"},
      {ok + "{\"prompt\": \"a\"}\n", ":2: missing field \"response\""},
      {"{\"question\": \"a\", \"answer\": null}\n", ":1: missing field \"answer\""},
      {ok + "{\"prompt\": 3, \"response\": \"b\"}\n", ":2: field \"prompt\" must be a string"},
      {"{\"text\": \"a\"}\n", ":1: expected fields \"prompt\" and \"response\""},
      {ok + "{\"prompt\": \"a\", \"response\": \"b\"} x\n", ":2: not a JSON object"},
      {"\n\n", ": no records"},
    };
    for (Object[] c : cases) {
      Path f = write("bad.jsonl", (String) c[0]);
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> SftPairs.read(f), (String) c[0]);
      assertTrue(e.getMessage().startsWith(f + (String) c[1]), e.getMessage());
      assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
  }

  @Test
  void notUtf8AndMissingFilesAreNamed() throws Exception {
    Path f = tmp.resolve("latin1.jsonl");
    byte[] good = "{\"prompt\": \"a\", \"response\": \"b\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 'p', (byte) 0xE9, '"', '}', '\n'};
    byte[] all = new byte[good.length + bad.length];
    System.arraycopy(good, 0, all, 0, good.length);
    System.arraycopy(bad, 0, all, good.length, bad.length);
    Files.write(f, all);
    assertEquals(
        f + ":2: not UTF-8 text",
        assertThrows(InvalidInputException.class, () -> SftPairs.read(f)).getMessage());
    Path missing = tmp.resolve("nope.jsonl");
    assertEquals(
        missing + ": no such file",
        assertThrows(InvalidInputException.class, () -> SftPairs.read(missing)).getMessage());
  }

  @Test
  void splitHoldsOutAFixedShareIndependentOfTheRun() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      sb.append("{\"prompt\": \"p").append(i).append("\", \"response\": \"r\"}\n");
    }
    Path f = write("many.jsonl", sb.toString());
    List<SftPair> pairs = SftPairs.read(f);
    List<List<SftPair>> split = SftPairs.split(f, pairs, 0.05);
    assertEquals(95, split.get(0).size());
    assertEquals(5, split.get(1).size());
    assertEquals(split, SftPairs.split(f, pairs, 0.05), "the same pairs every time");
    Set<SftPair> seen = new HashSet<>(split.get(0));
    split.get(1).forEach(p -> assertTrue(seen.add(p), "disjoint"));
    assertEquals(100, seen.size());
    for (List<SftPair> part : split) { // file order kept
      for (int i = 1; i < part.size(); i++) {
        assertTrue(part.get(i - 1).line() < part.get(i).line());
      }
    }
    assertEquals(1, SftPairs.split(f, pairs.subList(0, 2), 0.05).get(1).size(), "at least one");
    assertThrows(InvalidInputException.class, () -> SftPairs.split(f, pairs.subList(0, 1), 0.05));
  }
}
