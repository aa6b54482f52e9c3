package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 1: a gen PPL in other units than the model's tokens says so on the console next to
 * the number, with the dropped characters counted; {@code eval --num-samples N} without {@code
 * --scorer} says that no gen PPL was computed, as its help says.
 */
class GenPplUnitCommandTest {
  @TempDir static Path tmp;
  static Path byteModel;
  static Path charModel;
  static Path charScorer;
  static Path text;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void exports() throws Exception {
    charModel = TinyExports.export("mdlm", 3, tmp.resolve("char-mdlm"));
    charScorer = TinyExports.export("ar", 5, tmp.resolve("char-scorer"));
    Tokenizer bytes = Tokenizers.create("byte", null);
    DitConfig cfg =
        new DitConfig(bytes.vocabSize(), 16, 1, 2, 8, TinyExports.attention("mdlm"), 0.0);
    Path ck = tmp.resolve("byte-mdlm-checkpoint");
    Checkpoint.save(
        ck, DitInit.random(cfg, 9, 0.3), Map.of(), Map.of("seq_len", 16), bytes, "mdlm");
    byteModel = tmp.resolve("byte-mdlm");
    assertEquals(
        0,
        new CliRun().run("export", "--checkpoint", ck.toString(), "--out", byteModel.toString()));
    text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
  }

  private String[] eval(Path model, String out, String... extra) {
    String[] base = {
      "eval",
      "--model",
      model.toString(),
      "--data",
      text.toString(),
      "--detokenizer",
      "none",
      "--steps",
      "2",
      "--batch",
      "2",
      "--threads",
      "1",
      "--out",
      tmp.resolve(out).toString()
    };
    String[] a = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, a, base.length, extra.length);
    return a;
  }

  @Test
  void retokenisedGenPplSaysItsUnitAndCountsDroppedCharacters() throws Exception {
    String[] a =
        eval(byteModel, "byte-eval", "--scorer", charScorer.toString(), "--num-samples", "4");
    assertEquals(0, cli.run(a), cli.err());
    String line = cli.out().lines().filter(l -> l.startsWith("gen PPL ")).findFirst().orElseThrow();
    assertTrue(
        line.contains(
            "per character of the scorer's char tokenizer; NOT comparable to the model's byte"
                + " tokens (samples re-tokenised)"),
        line);
    JsonNode r =
        new ObjectMapper().readTree(tmp.resolve("byte-eval").resolve("eval-report.json").toFile());
    // the count on screen is the report's, and random bytes hold characters the scorer lacks
    Matcher m = Pattern.compile("; ([0-9,]+) characters? dropped").matcher(line);
    assertTrue(m.find(), line);
    long shown = Long.parseLong(m.group(1).replace(",", ""));
    assertEquals(r.at("/gen_ppl/dropped_characters").asLong(), shown);
    assertTrue(shown > 0, line);
    assertFalse(r.at("/gen_ppl/comparable_to_model_tokens").asBoolean(true));
    assertEquals("per character of the scorer's char tokenizer", r.at("/gen_ppl/unit").asText());
  }

  @Test
  void sameTokenizerGenPplIsPerModelToken() throws Exception {
    String[] a =
        eval(charModel, "char-eval", "--scorer", charScorer.toString(), "--num-samples", "2");
    assertEquals(0, cli.run(a), cli.err());
    String line = cli.out().lines().filter(l -> l.startsWith("gen PPL ")).findFirst().orElseThrow();
    assertTrue(line.contains("per character of the model's own tokenizer (char"), line);
    assertFalse(line.contains("NOT comparable"), line);
  }

  @Test
  void samplesWithoutScorerSayNoGenPpl() throws Exception {
    assertEquals(0, cli.run(eval(charModel, "no-scorer", "--num-samples", "2")), cli.err());
    assertTrue(cli.out().contains("no gen PPL: no scorer given; pass --scorer"), cli.out());
    JsonNode r =
        new ObjectMapper().readTree(tmp.resolve("no-scorer").resolve("eval-report.json").toFile());
    assertTrue(r.at("/gen_ppl/skipped").asText().startsWith("no gen PPL"));
    // and the help says there is no default scorer
    cli.clearOut();
    assertEquals(0, cli.run("eval", "--help"));
    assertTrue(cli.out().replaceAll("\\s+", " ").contains("default: none, so no gen PPL"));
  }

  @Test
  void paretoSaysTheUnitOfEachModel() throws Exception {
    Path out = tmp.resolve("pareto");
    int rc =
        cli.run(
            "pareto",
            "--models",
            byteModel + "," + charModel,
            "--steps",
            "2",
            "--scorer",
            charScorer.toString(),
            "--num-samples",
            "2",
            "--batch",
            "2",
            "--reference",
            text.toString(),
            "--out",
            out.toString());
    assertEquals(0, rc, cli.err());
    String o = cli.out();
    assertTrue(
        o.contains(
            "mdlm "
                + byteModel
                + ": gen PPL per character of the scorer's char tokenizer; NOT comparable"),
        o);
    assertTrue(
        o.contains("mdlm " + charModel + ": gen PPL per character of the model's own tokenizer"),
        o);
    JsonNode units =
        new ObjectMapper()
            .readTree(out.resolve("pareto.json").toFile())
            .at("/settings/gen_ppl_unit_per_model");
    assertFalse(units.path(byteModel.toString()).path("comparable_to_model_tokens").asBoolean());
    assertTrue(units.path(charModel.toString()).path("comparable_to_model_tokens").asBoolean());
    String demoLine =
        DemoEval.unitLine(
            new ObjectMapper().readTree("{\"gen_ppl_unit_per_model\":" + units + "}"));
    assertTrue(demoLine.contains("units differ between models"), demoLine);
    assertTrue(demoLine.contains("NOT comparable"), demoLine);
  }
}
