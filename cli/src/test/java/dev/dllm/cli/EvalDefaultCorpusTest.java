package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 5: {@code eval} without {@code --data} scores the corpus the model was trained on
 * (recorded by {@code dllm export}), says which text it used, and refuses when that corpus is gone.
 */
class EvalDefaultCorpusTest {
  @TempDir static Path tmp;
  static Path run;
  static Path corpus;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void trainAndExport() throws Exception {
    StringBuilder b = new StringBuilder();
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < 6000; i++) {
      b.append("0123456789 +-=\n".charAt(rnd.nextInt(15))); // no letter of Tiny Shakespeare's
    }
    corpus = Files.writeString(tmp.resolve("digits.txt"), b.toString());
    run = tmp.resolve("run");
    CliRun c = new CliRun();
    assertEquals(
        0,
        c.run(CliRun.tinyTrain("ar", run, "--data", corpus.toString(), "--tokenizer", "char")),
        c.err());
    assertEquals(
        0,
        c.run(
            "export",
            "--checkpoint",
            run.resolve("checkpoint").toString(),
            "--out",
            run.resolve("onnx").toString()),
        c.err());
  }

  @Test
  void withoutDataScoresTheTrainingCorpusAndSaysSo() throws Exception {
    Path out = tmp.resolve("eval");
    String model = run.resolve("onnx").toString();
    // training validated one batch of B = 4 rows: the same 4 first blocks of the split
    String[] a = {"eval", "--model", model, "--max-rows", "4", "--out", out.toString()};
    assertEquals(0, cli.run(a), cli.err());
    String abs = corpus.toAbsolutePath().normalize().toString();
    assertTrue(
        cli.out()
            .contains(
                "eval text: validation split of "
                    + abs
                    + " (the model's training corpus, recorded in export metadata"),
        cli.out());
    JsonNode r = new ObjectMapper().readTree(out.resolve("eval-report.json").toFile());
    assertEquals(abs, r.at("/likelihood/data/source").asText());
    assertEquals("lf", r.at("/likelihood/data/newlines").asText());
    // the export records the corpus and how its line ends were read
    JsonNode ex = new ObjectMapper().readTree(run.resolve("onnx/export-report.json").toFile());
    assertEquals(abs, ex.at("/training/corpus").asText());
    assertEquals("lf", ex.at("/training/newlines").asText());
    // AR's exact val NLL on the training corpus's split is the training run's own number
    JsonNode train = new ObjectMapper().readTree(run.resolve("train-report.json").toFile());
    assertEquals(
        train.path("val_nll").asDouble(), r.at("/likelihood/nats_per_token").asDouble(), 1e-4);
  }

  @Test
  void anExportThatRecordsNoCorpusSaysTheBundledTextIsUsed() throws Exception {
    // a model with Tiny Shakespeare's characters whose checkpoint stores no run options
    Path ck = tmp.resolve("plain-checkpoint");
    dev.dllm.api.tokenize.Tokenizer tok =
        dev.dllm.api.tokenize.Tokenizers.create(
            "char", Files.readString(dev.dllm.data.BundledCorpus.tinyShakespeare()));
    dev.dllm.api.model.DitConfig cfg =
        new dev.dllm.api.model.DitConfig(
            tok.vocabSize(), 16, 1, 2, 8, TinyExports.attention("ar"), 0.0);
    dev.dllm.trainer.checkpoint.Checkpoint.save(
        ck,
        dev.dllm.trainer.model.DitInit.random(cfg, 1, 0.3),
        java.util.Map.of(),
        java.util.Map.of("seq_len", 16),
        tok,
        "ar");
    Path ex = tmp.resolve("plain-export");
    assertEquals(0, cli.run("export", "--checkpoint", ck.toString(), "--out", ex.toString()));
    Path out = tmp.resolve("plain-eval");
    String[] a = {"eval", "--model", ex.toString(), "--max-rows", "4", "--out", out.toString()};
    assertEquals(0, cli.run(a), cli.err());
    assertTrue(
        cli.out()
            .contains(
                "eval text: validation split of the bundled Tiny Shakespeare (the model records"
                    + " no training corpus; pass --data PATH"),
        cli.out());
  }

  @Test
  void aRecordedCorpusThatIsGoneIsRefusedNamingIt() throws Exception {
    Path moved = tmp.resolve("moved");
    Path copy = tmp.resolve("copy.txt");
    Files.copy(corpus, copy);
    assertEquals(0, cli.run(CliRun.tinyTrain("ar", moved, "--data", copy.toString())), cli.err());
    String onnx = moved.resolve("onnx").toString();
    assertEquals(
        0,
        cli.run("export", "--checkpoint", moved.resolve("checkpoint").toString(), "--out", onnx));
    Files.delete(copy);
    assertEquals(2, cli.run("eval", "--model", onnx, "--out", tmp.resolve("gone").toString()));
    assertTrue(cli.err().contains(copy.toAbsolutePath().normalize() + " (recorded in"), cli.err());
    assertTrue(cli.err().contains("pass --data PATH"), cli.err());
    assertEquals(1, cli.err().strip().lines().count(), cli.err());
  }
}
