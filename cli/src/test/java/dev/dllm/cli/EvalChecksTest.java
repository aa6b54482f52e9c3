package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Up-front checks of {@code dllm eval} and {@code dllm pareto}: a huge {@code --num-samples} is
 * refused at once, and a scorer whose recorded val NLL is not lower than the judged model's is
 * warned about and flagged in the report.
 */
class EvalChecksTest {
  @TempDir static Path tmp;
  static Path mdlm;
  static Path weak;
  static Path strong;
  static Path text;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void exports() throws Exception {
    mdlm =
        TinyExports.export("mdlm", 3, tmp.resolve("mdlm"), Map.of("seq_len", 16, "val_nll", 2.5));
    weak = TinyExports.export("ar", 4, tmp.resolve("weak"), Map.of("seq_len", 16, "val_nll", 2.7));
    // a run folder RUN/train-report.json with its export in RUN/onnx (no val_nll in the metadata)
    Path run = Files.createDirectories(tmp.resolve("strong-run"));
    strong = TinyExports.export("ar", 5, run.resolve("onnx"), Map.of("seq_len", 16));
    Files.writeString(run.resolve("train-report.json"), "{\"family\": \"ar\", \"val_nll\": 1.9}\n");
    text = tmp.resolve("text.txt");
    Files.writeString(text, "abc def ghij klm nop. ".repeat(10));
  }

  private int run(String... args) {
    cli.clearOut();
    return cli.run(args);
  }

  private String stdout() {
    return cli.out();
  }

  private JsonNode eval(Path scorer, Path outDir) throws Exception {
    int rc =
        run(
            "eval",
            "--model",
            mdlm.toString(),
            "--data",
            text.toString(),
            "--detokenizer",
            "none",
            "--scorer",
            scorer.toString(),
            "--num-samples",
            "2",
            "--steps",
            "2",
            "--batch",
            "2",
            "--max-rows",
            "2",
            "--threads",
            "1",
            "--out",
            outDir.toString());
    assertEquals(0, rc, cli.err());
    return new ObjectMapper().readTree(outDir.resolve("eval-report.json").toFile());
  }

  @Test
  void weakerScorerIsWarnedAboutAndFlagged() throws Exception {
    JsonNode r = eval(weak, tmp.resolve("eval-weak"));
    assertTrue(stdout().contains("WARNING: --scorer " + weak), stdout());
    assertTrue(r.at("/scorer_check/scorer_weaker_than_model").asBoolean());
    assertEquals(2.7, r.at("/scorer_check/scorer_val_nll").asDouble(), 0);
    assertEquals(2.5, r.at("/scorer_check/model_val_loss").asDouble(), 0);
    assertTrue(r.at("/gen_ppl/ppl").asDouble() > 1); // warned, not refused
  }

  @Test
  void strongerScorerFromItsRunFolderIsNotFlagged() throws Exception {
    JsonNode r = eval(strong, tmp.resolve("eval-strong"));
    assertFalse(stdout().contains("WARNING"), stdout());
    assertFalse(r.at("/scorer_check/scorer_weaker_than_model").asBoolean());
    assertTrue(r.at("/scorer_check/comparable").asBoolean());
    assertEquals(1.9, r.at("/scorer_check/scorer_val_nll").asDouble(), 0);
    assertTrue(r.at("/scorer_check/scorer_val_nll_source").asText().endsWith("train-report.json"));
  }

  @Test
  void paretoFlagsAWeakerScorer() throws Exception {
    Path outDir = tmp.resolve("pareto-weak");
    int rc =
        run(
            "pareto",
            "--models",
            mdlm.toString(),
            "--scorer",
            weak.toString(),
            "--steps",
            "2",
            "--num-samples",
            "1",
            "--batch",
            "1",
            "--threads",
            "1",
            "--reference",
            text.toString(),
            "--out",
            outDir.toString());
    assertEquals(0, rc, cli.err());
    assertTrue(stdout().contains("WARNING: --scorer " + weak), stdout());
    JsonNode p = new ObjectMapper().readTree(outDir.resolve("pareto.json").toFile());
    assertTrue(p.at("/settings/scorer_weaker_than_model").asBoolean());
  }

  @Test
  void hugeNumSamplesIsRefusedBeforeAnyWork() {
    long heap = Runtime.getRuntime().maxMemory();
    // the limit is half the heap at 16 bytes/token + 96 bytes/sample, L = 16
    long limit = (heap / 2) / (16 * 16 + 96);
    List<String[]> commands = new ArrayList<>();
    Path evalOut = tmp.resolve("eval-huge");
    Path paretoOut = tmp.resolve("pareto-huge");
    commands.add(
        new String[] {
          "eval",
          "--model",
          mdlm.toString(),
          "--num-samples",
          "1000000000",
          "--out",
          evalOut.toString()
        });
    commands.add(
        new String[] {
          "pareto",
          "--models",
          mdlm.toString(),
          "--scorer",
          strong.toString(),
          "--steps",
          "2",
          "--num-samples",
          "1000000000",
          "--out",
          paretoOut.toString()
        });
    for (String[] c : commands) {
      long t0 = System.nanoTime();
      assertEquals(2, run(c), c[0]);
      String msg = cli.err();
      assertTrue(msg.contains("--num-samples 1000000000"), msg);
      assertTrue(msg.contains("at most " + limit + " samples"), msg);
      assertTrue((System.nanoTime() - t0) / 1e9 < 30, "refused up front");
    }
    assertFalse(Files.exists(evalOut.resolve("eval-report.json")));
    assertFalse(Files.exists(paretoOut.resolve("pareto.json")));
  }

  /**
   * {@code --scorer train-default} trains a scorer for hours when none is cached: every option is
   * checked before that. The cache's {@code scorers} is a plain file here, so a scorer training
   * that starts anyway fails at once instead of running.
   */
  @Test
  void trainDefaultScorerIsNotTrainedForInputThatIsThenRefused() throws Exception {
    Path cache = Files.createDirectories(tmp.resolve("no-train-cache"));
    Files.writeString(cache.resolve("scorers"), "not a folder");
    String before = System.getProperty("dllm.cache");
    System.setProperty("dllm.cache", cache.toString());
    try {
      String[][] commands = {
        {
          "eval",
          "--model",
          mdlm.toString(),
          "--scorer",
          "train-default",
          "--num-samples",
          "2",
          "--batch",
          "0",
          "--out",
          tmp.resolve("td-eval-batch").toString()
        },
        {
          "eval",
          "--model",
          mdlm.toString(),
          "--scorer",
          "train-default",
          "--num-samples",
          "1000000000",
          "--out",
          tmp.resolve("td-eval-n").toString()
        },
        {
          "pareto",
          "--models",
          mdlm + "," + mdlm,
          "--scorer",
          "train-default",
          "--steps",
          "2",
          "--out",
          tmp.resolve("td-pareto-twice").toString()
        },
        {
          "pareto",
          "--models",
          mdlm.toString(),
          "--scorer",
          "train-default",
          "--steps",
          "2",
          "--num-samples",
          "0",
          "--out",
          tmp.resolve("td-pareto-n").toString()
        },
        {
          "pareto",
          "--models",
          mdlm.toString(),
          "--scorer",
          "train-default",
          "--steps",
          "2",
          "--num-samples",
          "1000000000",
          "--out",
          tmp.resolve("td-pareto-huge").toString()
        }
      };
      String[] expected = {
        "--batch must be >= 1",
        "--num-samples 1000000000",
        "twice",
        "--num-samples must be >= 1",
        "--num-samples 1000000000"
      };
      for (int i = 0; i < commands.length; i++) {
        String what = String.join(" ", commands[i]);
        assertEquals(2, run(commands[i]), what + ": " + cli.err());
        assertTrue(cli.err().contains(expected[i]), what + ": " + cli.err());
        assertFalse(stdout().contains("training the default gen-PPL scorer"), what);
      }
    } finally {
      if (before == null) {
        System.clearProperty("dllm.cache");
      } else {
        System.setProperty("dllm.cache", before);
      }
    }
  }
}
