package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.cli.DefaultParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 7 §4: each bad input gets one line naming what is wrong, exit 2, and nothing written. */
class BadInputTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** Runs {@code args}, expects exit 2 with one line containing {@code expected}. */
  private void refused(String expected, String... args) {
    int rc = run(args);
    String e = errText();
    assertEquals(Main.EXIT_BAD_INPUT, rc, String.join(" ", args) + "\n" + e);
    assertTrue(e.contains(expected), "expected '" + expected + "' in: " + e);
    assertFalse(e.contains("Exception"), e);
  }

  private static List<Path> tree(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.sorted().toList();
    }
  }

  @Test
  void integerOptionsAreParsedStrictlyWithoutWrapping() throws Exception {
    Path o = tmp.resolve("run");
    String[][] cases = {
      {"--batch", "4294967300", "--batch must be <= 2147483647, got 4294967300"},
      {"--seq-len", "1e10", "--seq-len expects an integer written in digits"},
      {"--batch", "1.5", "--batch expects an integer written in digits"},
      {"--steps", "1e3", "--steps expects an integer written in digits"},
      {"--steps", "99999999999999999999", "--steps must be <= 9223372036854775807"},
      {"--accum", "x", "--accum expects an integer, got 'x'"},
      {"--threads", "100000", "--threads 100000 is more than 4 x the"},
      {"--lr", "NaN", "--lr must be a finite number"},
      {"--seed", "0x10", "--seed expects an integer, got '0x10'"},
      {"--beta2", "2", "--beta2 must be in [0, 1), got 2.0"},
      {"--beta2", "-0.5", "--beta2 must be in [0, 1), got -0.5"},
      {"--weight-decay", "-1", "--weight-decay must be >= 0, got -1.0"},
      {"--stop-after", "0", "--stop-after must be >= 1"}, // was accepted and trained every step
    };
    for (String[] c : cases) {
      refused(
          c[2], "train", "--family", "ar", "--flops", "1e12", c[0], c[1], "--out", o.toString());
    }
    refused(
        "--seed expects an integer, got 'abc'",
        "sample",
        "--model",
        tmp.toString(),
        "--num-samples",
        "1",
        "--steps",
        "1",
        "--seed",
        "abc",
        "--out",
        tmp.resolve("s.jsonl").toString());
    refused("--seq-len expects an integer", "tokenize", "--tokenizer", "byte", "--seq-len", "1e2");
    assertFalse(Files.exists(o));
  }

  @Test
  void aSingleValuedOptionGivenTwiceIsRefusedNotSilentlyTheFirst() {
    Path o = tmp.resolve("run");
    refused(
        "--preset is given more than once; give it once",
        "train",
        "--family",
        "ar",
        "--preset",
        "xxs",
        "--steps",
        "1",
        "--preset",
        "s",
        "--out",
        o.toString());
    assertFalse(Files.exists(o));
    // repeatable options stay repeatable: this one fails on its key, not on the repetition
    refused(
        ": family ar takes no options",
        "train",
        "--family",
        "ar",
        "--steps",
        "1",
        "--option",
        "foo=1",
        "--option",
        "bar=2",
        "--out",
        o.toString());
  }

  @Test
  void flopsAcceptsScientificNotation() throws Exception {
    TrainConfig c =
        TrainCommand.parse(
            new DefaultParser()
                .parse(
                    new TrainCommand().options(),
                    new String[] {"--family", "ar", "--flops", "5e12", "--out", "x"}));
    assertEquals(5e12, c.flops());
    assertEquals(5e12, CliOptions.parseNumber("flops", "5.0E12"));
    assertEquals(-3, CliOptions.parseInteger("seed", "-3", Long.MIN_VALUE, Long.MAX_VALUE));
    assertThrows(InvalidInputException.class, () -> CliOptions.parseNumber("flops", "Infinity"));
    assertThrows(InvalidInputException.class, () -> CliOptions.parseNumber("flops", "1e400"));
  }

  @Test
  void sweepRefusesOptionsBadForEveryRunBeforeCreatingAnything() throws Exception {
    Path o = tmp.resolve("sweep");
    String[] grid = {"sweep", "--families", "ar", "--presets", "d32", "--flops", "3e9"};
    String[][] cases = {
      {"--lr", "-1", "--lr must be > 0, got -1.0"},
      {"--objectives", "ar:elbo", "--objective 'elbo' is not supported by family ar"},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOf(grid, grid.length + 4);
      args[grid.length] = c[0];
      args[grid.length + 1] = c[1];
      args[grid.length + 2] = "--out";
      args[grid.length + 3] = o.toString();
      refused(c[2], args);
      assertFalse(Files.exists(o), String.join(" ", args));
    }
    Path run = tmp.resolve("run");
    Files.createDirectories(run.resolve("checkpoint"));
    String[] args = java.util.Arrays.copyOf(grid, grid.length + 2);
    args[grid.length] = "--out";
    args[grid.length + 1] = run.toString();
    refused("holds a training run", args);
    assertEquals(List.of(run, run.resolve("checkpoint")), tree(run));
  }

  @Test
  void sweepBudgetsAreParsedAsTrainsFlopsAndListedOnce() {
    Path o = tmp.resolve("sweep-flops");
    String[][] cases = {
      {"1e10,1e10", "--flops lists 1e10 twice"},
      {"1e10,10000000000", "--flops lists 10000000000 twice"},
      {"0x1p40", "--flops: '0x1p40' is not a finite number > 0"},
      {"1e10d", "--flops: '1e10d' is not a finite number > 0"},
    };
    for (String[] c : cases) {
      refused(
          c[1],
          "sweep",
          "--families",
          "ar",
          "--presets",
          "d12",
          "--flops",
          c[0],
          "--out",
          o.toString());
      assertFalse(Files.exists(o), c[0]);
    }
  }

  @Test
  void batchesThatCannotFitAreRefusedBeforeAnythingIsCreated() {
    Path o = tmp.resolve("run");
    long t0 = System.nanoTime();
    refused(
        "--batch 1000000000 with --seq-len 256 is 256000000000 tokens per step",
        "train",
        "--family",
        "ar",
        "--steps",
        "1",
        "--batch",
        "1000000000",
        "--out",
        o.toString());
    assertFalse(Files.exists(o));
    // fits one Java array, but not this machine: refused by the memory estimate
    refused(
        "--batch 4000000 (--seq-len 256, --accum 1): one micro-batch of 4000000 sequences needs",
        "train",
        "--family",
        "ar",
        "--preset",
        "xxs",
        "--steps",
        "1",
        "--batch",
        "4000000",
        "--out",
        o.toString());
    assertFalse(Files.exists(o), "nothing is created in --out on refusal");
    assertTrue((System.nanoTime() - t0) / 1e9 < 60, "refused without trying to allocate");
  }

  @Test
  void emptyCorpusIsNamed() throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
    Path o = tmp.resolve("run");
    refused(
        "corpus " + empty + " is empty (0 bytes)",
        "train",
        "--family",
        "ar",
        "--steps",
        "1",
        "--data",
        empty.toString(),
        "--out",
        o.toString());
    assertFalse(Files.exists(o));
    Path stats = tmp.resolve("stats.json");
    refused(
        "corpus " + empty + " is empty (0 bytes)",
        "tokenize",
        "--tokenizer",
        "byte",
        "--data",
        empty.toString(),
        "--cache",
        tmp.resolve("cache").toString(),
        "--out",
        stats.toString());
    assertFalse(Files.exists(stats));
  }

  @Test
  void trainOutInsideAnExistingRunIsRefusedNamingThePath() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Path ck = Files.createDirectories(run.resolve("checkpoint"));
    Files.writeString(ck.resolve("config.json"), "{}");
    Files.writeString(ck.resolve("model.safetensors"), "x");
    Files.writeString(run.resolve("train-report.json"), "{}");
    List<Path> before = tree(run);
    refused(
        "--out " + ck + " is the checkpoint folder " + ck,
        "train",
        "--family",
        "ar",
        "--steps",
        "1",
        "--out",
        ck.toString());
    refused(
        "is inside the training run " + run,
        "train",
        "--family",
        "ar",
        "--steps",
        "1",
        "--out",
        run.resolve("again").toString());
    assertEquals(before, tree(run));
  }

  @Test
  void exportAndSampleDoNotOverwriteWithoutOverwrite() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck");
    Checkpoint.save(ck, DitInit.random(cfg, 3, 0.3), Map.of(), Map.of("seq_len", 16), tok, "mdlm");
    Path ex = tmp.resolve("export");
    assertEquals(
        0, run("export", "--checkpoint", ck.toString(), "--out", ex.toString()), errText());
    // an earlier export (and the eval report beside it) is replaced only with --overwrite
    Path evalReport = Files.writeString(ex.resolve("eval-report.json"), "{}");
    List<Path> exported = tree(ex);
    refused(
        "--out " + ex + " already holds an export; choose another --out or pass --overwrite",
        "export",
        "--checkpoint",
        ck.toString(),
        "--out",
        ex.toString());
    assertEquals(exported, tree(ex));
    assertEquals("{}", Files.readString(evalReport));
    assertEquals(
        0,
        run("export", "--checkpoint", ck.toString(), "--out", ex.toString(), "--overwrite"),
        errText());
    assertFalse(Files.exists(evalReport), "--overwrite replaces the folder as a whole");
    Path jsonl = tmp.resolve("s").resolve("samples.jsonl");
    String[] sample = {
      "sample",
      "--model",
      ex.toString(),
      "--num-samples",
      "1",
      "--steps",
      "2",
      "--out",
      jsonl.toString()
    };
    assertEquals(0, run(sample), errText());
    Path report = jsonl.resolveSibling("sample-report.json");
    Files.writeString(jsonl, "earlier samples\n");
    refused(
        "--out: " + jsonl + " already exists; choose another --out or pass --overwrite", sample);
    assertEquals("earlier samples\n", Files.readString(jsonl));
    // the report alone is enough to refuse: it would be replaced
    Files.delete(jsonl);
    String earlierReport = Files.readString(report);
    refused("--out: " + report + " already exists", sample);
    assertEquals(earlierReport, Files.readString(report));
    assertFalse(Files.exists(jsonl));

    String[] overwrite =
        Stream.concat(Stream.of(sample), Stream.of("--overwrite")).toArray(String[]::new);
    assertEquals(0, run(overwrite), errText());
    assertTrue(Files.readString(jsonl).startsWith("{"));
  }
}
