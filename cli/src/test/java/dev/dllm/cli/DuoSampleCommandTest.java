package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm export} then {@code dllm sample} of a (random) Duo checkpoint, with the greedy tail.
 */
class DuoSampleCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** {@code dllm sample} of 3 rows, T 5, seed 2 from {@code export} into {@code out}. */
  private int sample(Path export, Path out, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "sample",
                "--model",
                export.toString(),
                "--num-samples",
                "3",
                "--steps",
                "5",
                "--seed",
                "2",
                "--out",
                out.toString()));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  @Test
  void exportAndSampleDuoWithAndWithoutTheGreedyTail() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck-duo");
    Checkpoint.save(
        ck, DitInit.random(cfg, 3, 0.3), Map.of(), Map.of("steps", 7, "seq_len", 16), tok, "duo");
    Path ex = tmp.resolve("export-duo");
    assertEquals(
        0,
        run("export", "--checkpoint", ck.toString(), "--out", ex.toString()),
        err.toString(StandardCharsets.UTF_8));
    ObjectMapper json = new ObjectMapper();
    int mask = tok.specials().mask();
    assertTrue(mask >= 0, "the char tokenizer has a mask id");
    for (String tail : new String[] {"noise_removal=ancestral", "greedy_tail=true"}) {
      Path jsonl = tmp.resolve(tail.replace('=', '-') + ".jsonl");
      assertEquals(0, sample(ex, jsonl, "--option", tail), err.toString(StandardCharsets.UTF_8));
      List<String> lines = Files.readAllLines(jsonl);
      assertEquals(3, lines.size());
      for (String line : lines) {
        JsonNode n = json.readTree(line);
        assertEquals(6, n.get("nfe").asInt(), "NFE = T + 1");
        n.get("ids").forEach(id -> assertNotEquals(mask, id.asInt(), "no mask id in samples"));
      }
      JsonNode report = json.readTree(SampleCommand.reportFile(jsonl).toFile());
      assertEquals("duo", report.get("family").asText());
      assertEquals(6.0, report.get("nfe_mean").asDouble(), 0);
    }
    // --greedy-tail is --option greedy_tail=true: the same samples for the same seed
    Path flag = tmp.resolve("flag.jsonl");
    assertEquals(0, sample(ex, flag, "--greedy-tail"), err.toString(StandardCharsets.UTF_8));
    List<String> viaOption = Files.readAllLines(tmp.resolve("greedy_tail-true.jsonl"));
    List<String> viaFlag = Files.readAllLines(flag);
    for (int i = 0; i < 3; i++) {
      assertEquals(
          json.readTree(viaOption.get(i)).get("ids"), json.readTree(viaFlag.get(i)).get("ids"));
    }
    err.reset();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "1",
            "--steps",
            "5",
            "--out",
            tmp.resolve("contradict.jsonl").toString(),
            "--greedy-tail",
            "--option",
            "greedy_tail=false"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("contradict"));
    err.reset();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "1",
            "--steps",
            "5",
            "--out",
            tmp.resolve("bad.jsonl").toString(),
            "--option",
            "noise_removal=sometimes"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("noise_removal"));
  }
}
