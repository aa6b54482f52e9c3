package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Semi-autoregressive MDLM sampling through {@code dllm sample} (issue 11 §1): with {@code
 * strides=N} and {@code stride_length=S} every row has L + N·S tokens, and the JSONL, entropy,
 * report and throughput use that row length.
 */
class SemiArSampleCommandTest {
  @TempDir Path tmp;

  static final String CORPUS = "abcdefgh ijklmnop.";

  @Test
  void semiAutoregressiveRowsAreWholeAndDecoded() throws Exception {
    Tokenizer tok = Tokenizers.create("char", CORPUS);
    int l = 16;
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck");
    Checkpoint.save(ck, DitInit.random(cfg, 3, 0.3), Map.of(), Map.of("seq_len", l), tok, "mdlm");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Path ex = tmp.resolve("ex");
    assertEquals(
        0,
        Main.run(new String[] {"export", "--checkpoint", "" + ck, "--out", "" + ex}, o, e),
        err.toString(StandardCharsets.UTF_8));
    int n = 5;
    int t = 6;
    int strides = 3;
    int stride = 4;
    Path jsonl = tmp.resolve("semi.jsonl");
    String[] args = {
      "sample",
      "--model",
      "" + ex,
      "--num-samples",
      "" + n,
      "--steps",
      "" + t,
      "--batch",
      "2",
      "--seed",
      "4",
      "--predictor",
      "ancestral",
      "--option",
      "strides=" + strides,
      "--option",
      "stride_length=" + stride,
      "--out",
      "" + jsonl
    };
    assertEquals(0, Main.run(args, o, e), err.toString(StandardCharsets.UTF_8));

    int rowLength = l + strides * stride;
    List<String> lines = Files.readAllLines(jsonl);
    assertEquals(n, lines.size());
    ObjectMapper json = new ObjectMapper();
    Set<String> distinct = new HashSet<>();
    double entropySum = 0;
    for (int i = 0; i < n; i++) {
      JsonNode line = json.readTree(lines.get(i));
      assertEquals(i, line.get("index").asInt());
      int[] ids = json.convertValue(line.get("ids"), int[].class);
      assertEquals(rowLength, ids.length, "row " + i);
      for (int id : ids) {
        assertNotEquals(tok.specials().mask(), id, "row " + i + " still has a mask id");
      }
      assertEquals(tok.decode(ids), line.get("text").asText());
      // plain ancestral: T + 1 forwards for the first block and for each of the N strides
      assertEquals((strides + 1) * (t + 1), line.get("nfe").asInt());
      double h = entropy(ids);
      assertEquals(h, line.get("entropy").asDouble(), 1e-12);
      entropySum += h;
      distinct.add(line.get("text").asText());
    }
    assertEquals(n, distinct.size(), "rows are distinct samples, not slices of one another");
    // with batch 2 the first batch holds rows 0 and 1: row 1 must not be the tail of row 0
    int[] row0 = json.convertValue(json.readTree(lines.get(0)).get("ids"), int[].class);
    int[] row1 = json.convertValue(json.readTree(lines.get(1)).get("ids"), int[].class);
    assertNotEquals(
        java.util.Arrays.toString(java.util.Arrays.copyOfRange(row0, l, 2 * l)),
        java.util.Arrays.toString(java.util.Arrays.copyOfRange(row1, 0, l)));

    JsonNode report = json.readTree(tmp.resolve("semi.sample-report.json").toFile());
    assertEquals(l, report.get("seq_len").asInt());
    assertEquals(rowLength, report.get("row_length").asInt());
    assertEquals((strides + 1) * (t + 1), report.get("nfe_mean").asDouble(), 1e-12);
    assertEquals(entropySum / n, report.get("entropy_mean").asDouble(), 1e-12);
    assertEquals(
        n * (double) rowLength / report.get("seconds").asDouble(),
        report.get("tokens_per_second").asDouble(),
        1e-6 * report.get("tokens_per_second").asDouble());
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(true, printed.contains(n + " samples of " + rowLength + " tokens"), printed);

    // without strides the rows keep the block length L
    Path plain = tmp.resolve("plain.jsonl");
    String[] plainArgs = {
      "sample",
      "--model",
      "" + ex,
      "--num-samples",
      "2",
      "--steps",
      "" + t,
      "--seed",
      "4",
      "--predictor",
      "ancestral",
      "--out",
      "" + plain
    };
    assertEquals(0, Main.run(plainArgs, o, e), err.toString(StandardCharsets.UTF_8));
    for (String line : Files.readAllLines(plain)) {
      assertEquals(l, json.readTree(line).get("ids").size());
      assertEquals(t + 1, json.readTree(line).get("nfe").asInt());
    }
  }

  /** Unigram entropy of one row in nats (spec §6.3), computed here independently. */
  static double entropy(int[] ids) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (int id : ids) {
      counts.merge(id, 1, Integer::sum);
    }
    double h = 0;
    for (int c : counts.values()) {
      double p = c / (double) ids.length;
      h -= p * Math.log(p);
    }
    return h;
  }
}
