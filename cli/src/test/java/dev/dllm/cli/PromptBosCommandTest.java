package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.eval.run.ModelSampler;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.runtime.onnx.PromptBos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BOS before a prompt, end to end on tiny exports (char vocabulary "abcdefgh ijklmnop.", L 16)
 * written from checkpoints whose stored run options say {@code mode=wrap} or {@code mode=pack}
 * (same weights): {@code dllm sample --bos auto|true|false} and {@code dllm prompt-eval}'s {@link
 * ModelSampler#drawConditional} apply the one rule of {@link PromptBos}.
 */
class PromptBosCommandTest {
  @TempDir static Path shared;
  @TempDir Path tmp;
  static final Map<String, Path> EXPORTS = new LinkedHashMap<>();
  static int bos;
  private final CliRun cli = new CliRun();
  private static final ObjectMapper JSON = new ObjectMapper();

  static Map<String, Object> training(String mode) {
    return Map.of("steps", 7, "seq_len", 16, "run_config", Map.of("mode", mode));
  }

  @BeforeAll
  static void exports() throws Exception {
    for (String family : List.of("ar", "mdlm")) {
      for (String mode : List.of("wrap", "pack")) {
        String name = family + "-" + mode;
        EXPORTS.put(name, TinyExports.export(family, 3, shared.resolve(name), training(mode)));
      }
    }
    bos = Tokenizers.create("char", "abcdefgh ijklmnop.").specials().bos();
  }

  private List<JsonNode> sample(String export, String out, String... extra) throws Exception {
    List<String> a =
        new ArrayList<>(
            List.of(
                "sample",
                "--model",
                EXPORTS.get(export).toString(),
                "--num-samples",
                "2",
                "--steps",
                "4",
                "--seed",
                "3",
                "--prompt",
                "abc d",
                "--max-new-tokens",
                "5",
                "--out",
                tmp.resolve(out + ".jsonl").toString()));
    a.addAll(List.of(extra));
    int rc = cli.run(a.toArray(new String[0]));
    assertEquals(0, rc, cli.err());
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(tmp.resolve(out + ".jsonl"))) {
      rows.add(JSON.readTree(line));
    }
    return rows;
  }

  private JsonNode report(String out) throws Exception {
    return JSON.readTree(tmp.resolve(out + ".sample-report.json").toFile());
  }

  private static int[] ids(JsonNode row) {
    int[] a = new int[row.get("ids").size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = row.get("ids").get(i).asInt();
    }
    return a;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm"})
  void aWrapExportGetsBosBeforeThePromptAndAPackExportDoesNot(String family) throws Exception {
    List<JsonNode> wrap = sample(family + "-wrap", "wrap");
    for (JsonNode r : wrap) {
      assertEquals(bos, r.get("ids").get(0).asInt());
      assertEquals(6, r.get("prompt_length").asInt());
      assertEquals(5, r.get("generated_ids").size());
      assertTrue(r.get("text").asText().startsWith("abc d"), r.toString());
    }
    JsonNode rep = report("wrap");
    assertEquals("auto", rep.get("bos").asText());
    assertEquals("wrap", rep.get("block_mode").asText());
    assertTrue(rep.get("bos_before_prompt").asBoolean());
    List<JsonNode> pack = sample(family + "-pack", "pack");
    for (JsonNode r : pack) {
      assertEquals(5, r.get("prompt_length").asInt());
      assertEquals("a".codePointAt(0), r.get("text").asText().codePointAt(0));
    }
    assertFalse(report("pack").get("bos_before_prompt").asBoolean());
    assertEquals("pack", report("pack").get("block_mode").asText());

    // the override: the same weights, so forcing the other way gives the other export's samples
    List<JsonNode> packForced = sample(family + "-pack", "pack-true", "--bos", "true");
    List<JsonNode> wrapOff = sample(family + "-wrap", "wrap-false", "--bos", "false");
    assertTrue(report("pack-true").get("bos_before_prompt").asBoolean());
    assertEquals("true", report("pack-true").get("bos").asText());
    assertFalse(report("wrap-false").get("bos_before_prompt").asBoolean());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(ids(wrap.get(i)), ids(packForced.get(i)), "sample " + i);
      assertEquals(wrap.get(i).get("completion"), packForced.get(i).get("completion"));
      assertArrayEquals(ids(pack.get(i)), ids(wrapOff.get(i)), "sample " + i);
    }
  }

  @Test
  void capacityCountsTheBosAndABadFlagIsRefused() throws Exception {
    String fifteen = "abcdefgh ijklmn";
    String[] base = {
      "sample", "--num-samples", "1", "--steps", "2", "--prompt", fifteen, "--out", ""
    };
    // 15 prompt tokens leave one position in L = 16 without the BOS, none with it
    String[] ok = base.clone();
    ok[ok.length - 1] = tmp.resolve("ok.jsonl").toString();
    int rc = cli.run(with(ok, "--model", EXPORTS.get("mdlm-pack").toString()));
    assertEquals(0, rc, cli.err());
    String[] bad = base.clone();
    bad[bad.length - 1] = tmp.resolve("bad/s.jsonl").toString();
    rc = cli.run(with(bad, "--model", EXPORTS.get("mdlm-wrap").toString()));
    assertEquals(Main.EXIT_BAD_INPUT, rc, cli.err());
    assertTrue(
        cli.err()
            .contains(
                "--prompt is too long: the BOS token and 15 prompt tokens leave no position to"
                    + " generate in the model's length L = 16"),
        cli.err());
    rc = cli.run(with(bad, "--model", EXPORTS.get("mdlm-pack").toString(), "--bos", "true"));
    assertEquals(Main.EXIT_BAD_INPUT, rc, cli.err());
    rc = cli.run(with(bad, "--model", EXPORTS.get("mdlm-pack").toString(), "--bos", "yes"));
    assertEquals(Main.EXIT_BAD_INPUT, rc, cli.err());
    assertTrue(cli.err().contains("--bos must be auto, true or false, got 'yes'"), cli.err());
    assertEquals(1, cli.err().strip().lines().count(), cli.err());
    assertFalse(Files.exists(tmp.resolve("bad")), "something was written");
  }

  private static String[] with(String[] a, String... extra) {
    String[] out = Arrays.copyOf(a, a.length + extra.length);
    System.arraycopy(extra, 0, out, a.length, extra.length);
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm"})
  void promptEvalsConditionalSamplerAppliesTheSameRule(String family) throws Exception {
    int[] p1 = {0, 1, 2, 8, 3};
    int[] p2 = {4, 5, 6, 7, 8};
    SamplerSpec spec = new SamplerSpec(3, 1.0, Map.of());
    try (OnnxModel wrap = OnnxModel.open(EXPORTS.get(family + "-wrap"), OrtConfig.defaults());
        OnnxModel pack = OnnxModel.open(EXPORTS.get(family + "-pack"), OrtConfig.defaults())) {
      assertEquals(13, ModelSampler.rowLength(wrap, 12));
      assertEquals(12, ModelSampler.rowLength(pack, 12));
      ModelSampler.Samples w =
          ModelSampler.drawConditional(wrap, spec, List.of(p1, p2), 2, 12, 7L, 1);
      // the pack export, same weights, given BOS + prompt explicitly in a row one longer
      ModelSampler.Samples p =
          ModelSampler.drawConditional(
              pack,
              spec,
              List.of(PromptBos.prepend(bos, p1), PromptBos.prepend(bos, p2)),
              2,
              13,
              7L,
              1);
      ModelSampler.Samples plain =
          ModelSampler.drawConditional(pack, spec, List.of(p1, p2), 2, 12, 7L, 1);
      for (int i = 0; i < 2; i++) {
        int[] row = w.ids().get(i);
        assertEquals(12, row.length, "the BOS is not in the returned row");
        assertArrayEquals(i == 0 ? p1 : p2, Arrays.copyOf(row, 5));
        assertArrayEquals(Arrays.copyOfRange(p.ids().get(i), 1, 13), row, "row " + i);
        assertEquals(12, plain.ids().get(i).length);
      }
      assertEquals(7, w.throughput().tokensPerSample(), 1e-9);
    }
  }

  @Test
  void promptEvalCountsTheBosInTheLength() throws Exception {
    Path text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
    List<String> a =
        new ArrayList<>(
            List.of(
                "prompt-eval",
                "--scorer",
                EXPORTS.get("ar-pack").toString(),
                "--data",
                text.toString(),
                "--detokenizer",
                "none",
                "--windows",
                "2",
                "--prompt-tokens",
                "6",
                "--new-tokens",
                "10",
                "--steps",
                "2",
                "--batch",
                "2",
                "--threads",
                "1",
                "--model",
                EXPORTS.get("mdlm-wrap").toString(),
                "--out",
                tmp.resolve("pe").toString()));
    int rc = cli.run(a.toArray(new String[0]));
    assertEquals(Main.EXIT_BAD_INPUT, rc, cli.err());
    assertTrue(
        cli.err()
            .contains(
                "--prompt-tokens 6 + --new-tokens 10 + 1 (the BOS before the prompt of a"
                    + " wrap-trained model) = 17 exceeds the sequence length 16"),
        cli.err());
    a.set(a.indexOf("10"), "9");
    rc = cli.run(a.toArray(new String[0]));
    assertEquals(0, rc, cli.err());
    JsonNode m = JSON.readTree(tmp.resolve("pe/prompt-eval.json").toFile()).get("models").get(0);
    assertTrue(m.get("bos_before_prompt").asBoolean());
    JsonNode c = m.get("points").get(0).get("conditional");
    assertEquals(2, c.get("prompts_returned_verbatim").asInt());
    assertEquals(9, c.get("generated_tokens_per_row").asInt());
  }

  @Test
  void aRunTrainedInWrapModeExportsItsBlockMode() throws Exception {
    Path run = tmp.resolve("train");
    assertEquals(0, cli.run(CliRun.tinyTrain("ar", run, "--mode", "wrap")), cli.err());
    Path ex = tmp.resolve("train-export");
    assertEquals(
        0,
        cli.run(
            "export", "--checkpoint", run.resolve("checkpoint").toString(), "--out", ex.toString()),
        cli.err());
    try (OnnxModel m = OnnxModel.open(ex, OrtConfig.defaults())) {
      assertEquals("wrap", m.metadata().blockMode());
      assertEquals(m.metadata().specials().bos(), PromptBos.id(m.metadata(), null));
    }
  }

  @Test
  void unconditionalCausalTokensLeaveOutTheBos() throws Exception {
    SpecialTokens specials = new SpecialTokens(0, -1, 8, 9);
    int[] ids = {0, 1, 2, 1};
    Generated g = new Generated(0, "aba", ids, 3, 3, 1, 0.1);
    assertEquals(4, SampleJsonl.jsonl(List.of(g), specials).tokens());
    assertEquals(3, SampleJsonl.jsonl(List.of(g), specials, SampleRequests.NONE, 1, 1).tokens());
  }

  /**
   * {@code dllm task-eval} lays its rows out like {@code dllm sample}: the BOS before every prompt
   * of a wrap-trained export (P counts it, one more prompt token cut on the left to make room),
   * none for a pack-trained one.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm"})
  void taskEvalPutsTheBosBeforeThePromptOfAWrapExport(String family) throws Exception {
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
      "20",
      "--test",
      "4"
    };
    assertEquals(0, cli.run(make), cli.err());
    Map<String, List<JsonNode>> items = new LinkedHashMap<>();
    for (String mode : List.of("wrap", "pack")) {
      Path out = tmp.resolve("te-" + mode);
      int rc =
          cli.run(
              "task-eval",
              "--model",
              EXPORTS.get(family + "-" + mode).toString(),
              "--task",
              task.toString(),
              "--shots",
              "1",
              "--max-new-tokens",
              "6",
              "--steps",
              "4",
              "--out",
              out.toString(),
              "--threads",
              "1");
      assertEquals(0, rc, cli.err());
      JsonNode r = JSON.readTree(out.resolve("task-eval-report.json").toFile());
      assertEquals("wrap".equals(mode), r.at("/sampling/bos_before_prompt").asBoolean(), mode);
      List<JsonNode> rows = new ArrayList<>();
      for (String line : Files.readAllLines(out.resolve("task-eval-items.jsonl"))) {
        rows.add(JSON.readTree(line));
      }
      items.put(mode, rows);
    }
    assertEquals(4, items.get("wrap").size());
    for (int i = 0; i < 4; i++) {
      JsonNode w = items.get("wrap").get(i);
      JsonNode p = items.get("pack").get(i);
      assertEquals(10, w.get("prompt_tokens").asInt(), "L 16 - N 6, the BOS included");
      assertEquals(10, p.get("prompt_tokens").asInt());
      assertEquals(p.get("truncated_tokens").asInt() + 1, w.get("truncated_tokens").asInt());
    }
  }
}
