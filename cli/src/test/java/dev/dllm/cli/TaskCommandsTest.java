package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm make-task}, {@code task-eval} and {@code score} end to end on tiny exports. */
class TaskCommandsTest {
  @TempDir static Path tmp;
  static Path ar;
  static Path mdlm;
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void exports() throws Exception {
    ar = TinyExports.export("ar", 1, tmp.resolve("ar"));
    mdlm = TinyExports.export("mdlm", 2, tmp.resolve("mdlm"));
  }

  @Test
  void makeTaskThenTaskEvalForAPrefixOnlyAndAnInfillingFamily() throws Exception {
    CliRun cli = new CliRun();
    Path task = tmp.resolve("task");
    String[] make = {
      "make-task",
      "--out",
      task.toString(),
      "--seed",
      "3",
      "--steps",
      "2",
      "--max-number",
      "9",
      "--train",
      "50",
      "--test",
      "12"
    };
    assertEquals(0, cli.run(make), cli.err());
    assertEquals(2, cli.run(make), "existing task files are refused");
    assertTrue(Files.readString(task.resolve("train.txt")).startsWith("Question: "));
    JsonNode info = JSON.readTree(task.resolve("task.json").toFile());
    assertEquals("", info.get("test_characters_missing_from_train").asText());
    for (Path model : List.of(ar, mdlm)) {
      Path out = tmp.resolve("te-" + model.getFileName());
      int rc =
          cli.run(
              "task-eval",
              "--model",
              model.toString(),
              "--task",
              task.toString(),
              "--shots",
              "1",
              "--max-new-tokens",
              "6",
              "--steps",
              "4",
              "--batch",
              "5",
              "--out",
              out.toString(),
              "--threads",
              "1");
      assertEquals(0, rc, cli.err());
      JsonNode r = JSON.readTree(out.resolve("task-eval-report.json").toFile());
      assertEquals(12, r.at("/accuracy/strict/n").asInt());
      assertTrue(r.at("/accuracy/strict/ci95_high").asDouble() > 0);
      // the tiny char vocabulary has no digits or capitals: dropped and counted, never a crash
      assertEquals(12, r.at("/encoding/items_with_dropped_characters").asInt());
      assertTrue(r.at("/encoding/dropped_characters").asLong() > 12);
      assertEquals(12, r.at("/encoding/truncated_prompts").asInt(), "L 16 keeps 10 tokens");
      assertEquals(1, r.at("/template/shots").asInt());
      assertEquals(72, r.at("/throughput/span_tokens").asInt());
      List<String> lines = Files.readAllLines(out.resolve("task-eval-items.jsonl"));
      assertEquals(12, lines.size());
      JsonNode first = JSON.readTree(lines.get(0));
      assertTrue(first.get("prompt").asText().startsWith("Question: "));
      assertTrue(first.has("output") && first.has("extracted") && first.has("gold"));
      assertTrue(first.at("/correct/strict").isBoolean());
    }
  }

  @Test
  void taskEvalRefusesAMissingTaskAndTooManyNewTokens() {
    CliRun cli = new CliRun();
    assertEquals(
        2,
        cli.run(
            "task-eval",
            "--model",
            ar.toString(),
            "--task",
            tmp.resolve("none.jsonl").toString(),
            "--out",
            tmp.resolve("x").toString()));
    assertTrue(cli.err().contains("does not exist"), cli.err());
    Path task = tmp.resolve("task-big-n");
    assertEquals(
        0,
        cli.run("make-task", "--out", task.toString(), "--train", "5", "--test", "3"),
        cli.err());
    for (Path model : List.of(ar, mdlm)) {
      cli.clearOut();
      int rc =
          cli.run(
              "task-eval",
              "--model",
              model.toString(),
              "--task",
              task.toString(),
              "--max-new-tokens",
              "1000",
              "--out",
              tmp.resolve("big-n-" + model.getFileName()).toString(),
              "--threads",
              "1");
      assertEquals(2, rc, cli.err());
      assertTrue(cli.err().contains("--max-new-tokens 1000 leaves no position"), cli.err());
      assertEquals("", cli.out(), "refused before the header line");
    }
  }

  @Test
  void scoreWithAndWithoutBos() throws Exception {
    CliRun cli = new CliRun();
    Path samples = tmp.resolve("samples.jsonl");
    // 16 ids (= the scorer's L) and a text sample of 16 characters
    Files.writeString(
        samples,
        "{\"ids\": [0,1,2,3,4,5,6,7,0,1,2,3,4,5,6,7]}\n{\"text\": \"abcdefgh abcdefg\"}\n");
    Path bos = tmp.resolve("bos.json");
    Path none = tmp.resolve("none.json");
    String[] base = {"score", "--samples", samples.toString(), "--scorer", ar.toString()};
    assertEquals(0, cli.run(concat(base, "--out", bos.toString())), cli.err());
    assertEquals(0, cli.run(concat(base, "--out", none.toString(), "--bos", "none")), cli.err());
    JsonNode b = JSON.readTree(bos.toFile());
    JsonNode n = JSON.readTree(none.toFile());
    // with BOS: ids 0..14 of each scored; without: ids 1..15; 15 per sample either way
    assertEquals(30, b.at("/gen_ppl/scored_tokens").asInt());
    assertEquals(30, n.at("/gen_ppl/scored_tokens").asInt());
    assertEquals("prepended", b.at("/gen_ppl/bos").asText());
    assertEquals("none", n.at("/gen_ppl/bos").asText());
    assertEquals(2, b.at("/samples/samples").asInt());
    assertTrue(b.at("/gen_ppl/ppl").asDouble() > 1);
    assertTrue(b.at("/sampling/entropy_mean").asDouble() > 0);
    assertTrue(
        Math.abs(b.at("/gen_ppl/ppl").asDouble() - n.at("/gen_ppl/ppl").asDouble()) > 1e-9,
        "different tokens are scored");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
