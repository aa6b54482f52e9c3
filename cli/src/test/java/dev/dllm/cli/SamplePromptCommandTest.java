package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16 §5 and its bad-input list: {@code dllm sample
 * --prompt/--prompts/--max-new-tokens/--stop} on tiny exports (char vocabulary "abcdefgh
 * ijklmnop.", L 16). Every bad input gets one line naming the problem, exit 2, and nothing written.
 */
class SamplePromptCommandTest {
  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path mdlm;
  static Path ar;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void exports() throws Exception {
    mdlm = TinyExports.export("mdlm", 3, shared.resolve("mdlm"));
    ar = TinyExports.export("ar", 3, shared.resolve("ar"));
  }

  private List<String> sample(Path model, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "sample",
                "--model",
                model.toString(),
                "--num-samples",
                "2",
                "--steps",
                "4",
                "--out",
                tmp.resolve("out/s.jsonl").toString()));
    a.addAll(List.of(extra));
    return a;
  }

  /** Runs, expects exit 2 with one line containing {@code expected}, and no output folder. */
  private void refused(String expected, Path model, String... extra) {
    int rc = cli.run(sample(model, extra).toArray(new String[0]));
    String e = cli.err();
    assertEquals(Main.EXIT_BAD_INPUT, rc, e);
    assertTrue(e.contains(expected), "expected '" + expected + "' in: " + e);
    assertEquals(1, e.strip().lines().count(), e);
    assertFalse(e.contains("Exception"), e);
    assertFalse(Files.exists(tmp.resolve("out")), "something was written");
  }

  private Path file(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text, StandardCharsets.UTF_8);
    return p;
  }

  @Test
  void aPromptTooLongForTheModel() {
    refused(
        "--prompt is too long: 16 prompt tokens leave no position to generate in the model's"
            + " length L = 16",
        mdlm,
        "--prompt",
        "abcdefgh ijklmno");
    refused("--prompt is too long", ar, "--prompt", "abcdefgh ijklmnop");
  }

  @Test
  void aCharacterTheTokenizerCannotEncodeIsNamedWithItsPosition() throws Exception {
    refused(
        "--prompt: character 'z' (U+007A) at position 3 cannot be encoded by the model's char"
            + " tokenizer",
        mdlm,
        "--prompt",
        "ab z");
    Path p =
        file(
            "p.jsonl",
            "{\"prompt\": \"abc\"}\n{\"prefix\": \"a\", \"suffix\": \"é\", \"length\": 2}\n");
    refused(
        p + " line 2: prompt suffix: character 'é' (U+00E9) at position 0",
        mdlm,
        "--prompts",
        p.toString());
  }

  @Test
  void aSuffixForAFamilyThatOnlyContinuesAPrefix() throws Exception {
    Path p =
        file(
            "p.jsonl",
            "{\"prompt\": \"ab\"}\n\n{\"prefix\": \"ab\", \"suffix\": \"cd\", \"length\": 3}\n");
    refused(
        p
            + " line 3: prompt: family ar only continues a prompt prefix; a suffix"
            + " (fill-in-the-middle) needs a family whose sampler supports infilling",
        ar,
        "--prompts",
        p.toString());
  }

  @Test
  void maxNewTokensBelowOneOrBeyondCapacity() {
    refused("--max-new-tokens must be >= 1, got 0", mdlm, "--max-new-tokens", "0");
    refused(
        "--max-new-tokens must be >= 1, got -2", mdlm, "--prompt", "ab", "--max-new-tokens", "-2");
    refused(
        "--prompt: max new tokens 15 is beyond capacity: after 2 prompt tokens, at most 14 fit in"
            + " the model's length L = 16",
        mdlm,
        "--prompt",
        "ab",
        "--max-new-tokens",
        "15");
    refused(
        "max new tokens 16 is beyond capacity: after the BOS token, at most 15 fit",
        ar,
        "--max-new-tokens",
        "16");
  }

  @Test
  void aMalformedJsonlLineNamesTheFileAndLine() throws Exception {
    Path p = file("bad.jsonl", "{\"prompt\": \"ab\"}\n{\"prompt\": \"ab\"\n");
    refused(p + " line 2: not valid JSON", mdlm, "--prompts", p.toString());
    p = file("arr.jsonl", "[1, 2]\n");
    refused(p + " line 1: expected a JSON object", mdlm, "--prompts", p.toString());
    p = file("key.jsonl", "{\"prompt\": \"ab\", \"temperature\": 1}\n");
    refused(p + " line 1: unexpected key \"temperature\"", mdlm, "--prompts", p.toString());
    p = file("num.jsonl", "{\"prompt\": 3}\n");
    refused(
        p + " line 1: \"prompt\" must be a string, got number", mdlm, "--prompts", p.toString());
    p = file("len.jsonl", "{\"prefix\": \"a\", \"suffix\": \"b\", \"length\": 0}\n");
    refused(
        p + " line 1: \"length\" must be an integer >= 1, got 0", mdlm, "--prompts", p.toString());
    p = file("nolen.jsonl", "{\"prefix\": \"a\", \"suffix\": \"b\"}\n");
    refused(p + " line 1: needs \"prompt\", or \"length\"", mdlm, "--prompts", p.toString());
    p = file("trail.jsonl", "{\"prompt\": \"a\"} x\n");
    refused(p + " line 1: not valid JSON", mdlm, "--prompts", p.toString());
  }

  @Test
  void anEmptyOrMissingPromptsFile() throws Exception {
    Path p = file("empty.jsonl", "");
    refused("--prompts " + p + " holds no requests", mdlm, "--prompts", p.toString());
    p = file("blank.jsonl", "\n  \n");
    refused("--prompts " + p + " holds no requests", mdlm, "--prompts", p.toString());
    refused("no such file", mdlm, "--prompts", tmp.resolve("none.jsonl").toString());
  }

  @Test
  void promptAndPromptsTogether() throws Exception {
    Path p = file("p.jsonl", "{\"prompt\": \"ab\"}\n");
    refused(
        "--prompt and --prompts exclude each other",
        mdlm,
        "--prompt",
        "ab",
        "--prompts",
        p.toString());
  }

  @Test
  void anEmptyStopString() {
    refused("--stop must not be empty", mdlm, "--prompt", "ab", "--stop", "");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm", "duo", "esolm"})
  void promptIdsComeBackVerbatimEndToEnd(String family) throws Exception {
    Path model =
        family.equals("mdlm")
            ? mdlm
            : family.equals("ar") ? ar : TinyExports.export(family, 3, tmp.resolve(family));
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    String prompt = "abc de";
    int[] want = tok.encode(prompt);
    Path out = tmp.resolve("out/s.jsonl");
    int rc =
        cli.run(
            sample(
                    model,
                    "--prompt",
                    prompt,
                    "--max-new-tokens",
                    "5",
                    "--stop",
                    "zz",
                    "--seed",
                    "4")
                .toArray(new String[0]));
    assertEquals(0, rc, cli.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals(2, lines.size());
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode n = json.readTree(line);
      assertEquals(prompt, n.get("prompt").asText());
      int[] ids = json.convertValue(n.get("ids"), int[].class);
      int p = n.get("prompt_length").asInt();
      assertEquals(want.length, p);
      int[] head = new int[p];
      System.arraycopy(ids, 0, head, 0, p);
      assertArrayEquals(want, head);
      int[] span = json.convertValue(n.get("generated_ids"), int[].class);
      assertEquals(5, span.length);
      String reason = n.get("stop_reason").asText();
      assertTrue(reason.equals("eos") || reason.equals("length"), reason);
      assertTrue(n.get("completion").asText().length() <= 5);
      if (family.equals("ar")) {
        // a prefix-only sampler gets rows of P + max new tokens
        assertEquals(p + 5, ids.length);
      } else {
        assertEquals(16, ids.length);
        for (int i = p + 5; i < 16; i++) {
          assertEquals(tok.specials().eos(), ids[i], "EOS tail at " + i);
        }
      }
    }
    JsonNode report = json.readTree(out.resolveSibling("s.sample-report.json").toFile());
    assertEquals("--prompt", report.get("prompts").asText());
    assertEquals(5, report.get("max_new_tokens").asInt());
    assertEquals(2, report.get("num_samples").asInt());
  }
}
