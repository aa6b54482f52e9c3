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

class TokenizeCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void bundledCorpusWithCharTokenizer() throws Exception {
    Path json = tmp.resolve("stats.json");
    String cache = tmp.resolve("cache").toString();
    assertEquals(
        0,
        run(
            "tokenize",
            "--tokenizer",
            "char",
            "--seq-len",
            "256",
            "--mode",
            "wrap",
            "--cache",
            cache,
            "--out",
            json.toString()),
        err.toString(StandardCharsets.UTF_8));
    JsonNode s = new ObjectMapper().readTree(json.toFile());
    // Tiny Shakespeare: 1,115,394 ASCII chars = tokens, plus one EOS per split document
    assertEquals(1_115_394, s.get("fileBytes").asLong());
    assertEquals(1_115_394, s.get("textBytes").asLong());
    assertEquals(1, s.get("documents").asInt());
    assertEquals(1_115_394 + 2, s.get("tokens").asLong());
    assertEquals(65 + 4, s.get("vocabSize").asInt());
    long train = s.get("trainTokens").asLong();
    assertEquals(train / 254, s.get("trainBlocks").asLong());
    assertEquals(train % 254, s.get("trainDroppedTokens").asLong());
    assertTrue(s.get("tokensPerSecond").asDouble() > 0);
    assertEquals(false, s.get("cacheHit").asBoolean());
    // second run: a cache hit, same numbers
    out.reset();
    assertEquals(0, run("tokenize", "--tokenizer", "char", "--cache", cache));
    JsonNode again = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertEquals(true, again.get("cacheHit").asBoolean());
    assertEquals(train, again.get("trainTokens").asLong());
    assertTrue(again.has("throughputOf"), "a cache hit says whose throughput it reports");
  }

  @Test
  void jsonlReportsTextBytesNotFileBytes() throws Exception {
    Path jsonl =
        Files.writeString(
            tmp.resolve("docs.jsonl"),
            "{\"text\": \"abc\", \"id\": 1234567890}\n{\"text\": \"defg\", \"id\": 2}\n");
    Path json = tmp.resolve("j.json");
    assertEquals(
        0,
        run(
            "tokenize",
            "--data",
            jsonl.toString(),
            "--tokenizer",
            "byte",
            "--cache",
            tmp.resolve("cache2").toString(),
            "--out",
            json.toString()),
        err.toString(StandardCharsets.UTF_8));
    JsonNode s = new ObjectMapper().readTree(json.toFile());
    assertEquals(7, s.get("textBytes").asLong());
    assertEquals(Files.size(jsonl), s.get("fileBytes").asLong());
    assertEquals(2, s.get("documents").asLong());
    assertEquals(jsonl.toAbsolutePath().toString(), s.get("data").asText());
  }

  @Test
  void badInputIsExitCode2() throws Exception {
    Path small = Files.writeString(tmp.resolve("small.txt"), "tiny corpus\n");
    String cache = tmp.resolve("cache").toString();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "tokenize",
            "--tokenizer",
            "byte",
            "--data",
            small.toString(),
            "--seq-len",
            "1024",
            "--cache",
            cache));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("corpus shorter than one block"));
    err.reset();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run("tokenize", "--tokenizer", "nope", "--data", small.toString(), "--cache", cache));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown tokenizer"));
    err.reset();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run("tokenize", "--tokenizer", "byte", "--data", tmp.resolve("missing.txt").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("does not exist"));
    err.reset();
    out.reset();
    Path dir = Files.createDirectories(tmp.resolve("a-folder"));
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "tokenize",
            "--tokenizer",
            "byte",
            "--data",
            small.toString(),
            "--cache",
            cache,
            "--out",
            dir.toString()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("is a directory; expected a file path"), e);
    assertEquals("", out.toString(StandardCharsets.UTF_8), "refused before tokenizing");
  }
}
