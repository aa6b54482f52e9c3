package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm eval}, {@code dllm pareto} and {@code dllm fit} end to end on tiny exports. */
class EvalCommandsTest {
  @TempDir static Path tmp;
  static Path mdlm;
  static Path ar;
  static Path scorer;
  static Path text;
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

  private static Path export(String family, Attention a, long seed) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, a, 0.0);
    Path ck = tmp.resolve("ck-" + family + seed);
    Checkpoint.save(
        ck,
        DitInit.random(cfg, seed, 0.3),
        Map.of(),
        Map.of("steps", 7, "tokens", 1792, "seq_len", 16, "val_nll", 2.5),
        tok,
        family);
    Path ex = tmp.resolve("ex-" + family + seed);
    int rc =
        Main.run(
            new String[] {"export", "--checkpoint", ck.toString(), "--out", ex.toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertEquals(0, rc);
    return ex;
  }

  @BeforeAll
  static void exports() throws Exception {
    mdlm = export("mdlm", Attention.BIDIRECTIONAL, 3);
    ar = export("ar", Attention.CAUSAL, 4);
    scorer = export("ar", Attention.CAUSAL, 5);
    text = tmp.resolve("text.txt");
    Files.writeString(text, "abc def ghij klm nop. ".repeat(20) + "zzz");
  }

  @Test
  void evalWritesReportWithLikelihoodSamplingAndGenPpl() throws Exception {
    Path outDir = tmp.resolve("eval-out");
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
            "4",
            "--steps",
            "4",
            "--batch",
            "2",
            "--out",
            outDir.toString(),
            "--threads",
            "1");
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    JsonNode r = new ObjectMapper().readTree(outDir.resolve("eval-report.json").toFile());
    assertEquals("mdlm", r.at("/model/family").asText());
    assertEquals("NELBO (upper bound on NLL)", r.at("/likelihood/kind").asText());
    assertEquals(3, r.at("/likelihood/data/dropped_characters").asLong()); // "zzz"
    // every token is scored exactly once, none padded (MDLM: L tokens per row of L)
    long stream = r.at("/likelihood/data/stream_tokens").asLong();
    assertEquals(20 * 22, stream);
    assertEquals(stream, r.at("/likelihood/tokens").asLong());
    assertEquals(4, r.at("/gen_ppl/samples").asInt());
    assertTrue(r.at("/gen_ppl/ppl").asDouble() > 1);
    assertEquals(5.0, r.at("/sampling/nfe_per_sample").asDouble()); // T + 1 for ancestral
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("gen PPL"));
  }

  @Test
  void arLikelihoodScoresLMinusOnePerRow() throws Exception {
    Path outDir = tmp.resolve("eval-ar");
    assertEquals(
        0,
        run(
            "eval",
            "--model",
            ar.toString(),
            "--data",
            text.toString(),
            "--detokenizer",
            "none",
            "--out",
            outDir.toString()),
        err.toString(StandardCharsets.UTF_8));
    JsonNode r = new ObjectMapper().readTree(outDir.resolve("eval-report.json").toFile());
    long stream = r.at("/likelihood/data/stream_tokens").asLong();
    int rows = r.at("/likelihood/rows").asInt();
    assertEquals(stream - rows, r.at("/likelihood/tokens").asLong());
    // independent oracle: the float64 reference forward on the same weights, rows of L = 16
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.CAUSAL, 0.0);
    ReferenceDit ref = new ReferenceDit(DitInit.random(cfg, 4, 0.3));
    int[] ids = tok.encode("abc def ghij klm nop. ".repeat(20));
    DiffusionFamily arFamily = FamilyRegistry.load().get("ar");
    double nll = 0;
    long tokens = 0;
    for (int from = 0; from < ids.length; from += 16) {
      int[] row = java.util.Arrays.copyOfRange(ids, from, Math.min(ids.length, from + 16));
      NllSum s = arFamily.nelbo(ref, row, 1, row.length, new double[1], tok.specials(), null);
      nll += s.nll();
      tokens += s.tokens();
    }
    assertEquals(tokens, r.at("/likelihood/tokens").asLong());
    assertEquals(nll / tokens, r.at("/likelihood/nats_per_token").asDouble(), 1e-4);
  }

  @Test
  void paretoWritesTheThreeFiles() throws Exception {
    Path outDir = tmp.resolve("pareto");
    int rc =
        run(
            "pareto",
            "--models",
            mdlm + "," + ar,
            "--steps",
            "2,4",
            "--scorer",
            scorer.toString(),
            "--out",
            outDir.toString(),
            "--num-samples",
            "2",
            "--batch",
            "2",
            "--reference",
            text.toString(),
            "--variant",
            "mdlm:cache:predictor=ancestral_cache");
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    JsonNode j = new ObjectMapper().readTree(outDir.resolve("pareto.json").toFile());
    assertEquals(3, j.get("points").size()); // mdlm x 2 steps + ar x 1
    assertEquals(4, Files.readAllLines(outDir.resolve("pareto.csv")).size());
    BufferedImage img = ImageIO.read(outDir.resolve("pareto.png").toFile());
    assertEquals(1200, img.getWidth());
    assertEquals(800, img.getHeight());
  }

  /** The collapse reference of one model and text is the same number in eval and pareto. */
  @Test
  void evalAndParetoAgreeOnTheReferenceEntropy() throws Exception {
    // > 256 validation rows of L 16, the tail ones drawn from fewer letters than the others
    java.util.Random rnd = new java.util.Random(11);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      b.append("abcdefgh ijklmnop.".charAt(rnd.nextInt(i < 98_000 ? 18 : 2)));
    }
    Path corpus = Files.writeString(tmp.resolve("reference-corpus.txt"), b.toString());
    String[] common = {"--scorer", scorer.toString(), "--num-samples", "1", "--batch", "1"};
    Path evalOut = tmp.resolve("ref-eval");
    String[] e = {"eval", "--model", mdlm.toString(), "--data", corpus.toString(), "--steps", "2"};
    assertEquals(0, run(concat(e, common, "--out", evalOut.toString())), err.toString());
    Path paretoOut = tmp.resolve("ref-pareto");
    String[] p = {"pareto", "--models", mdlm.toString(), "--reference", corpus.toString()};
    String[] q = {"--steps", "2", "--out", paretoOut.toString()};
    assertEquals(0, run(concat(p, common, q)), err.toString());
    ObjectMapper m = new ObjectMapper();
    double evalH =
        m.readTree(evalOut.resolve("eval-report.json").toFile())
            .at("/sampling/reference_entropy")
            .asDouble();
    double paretoH =
        m.readTree(paretoOut.resolve("pareto.json").toFile())
            .findValue("reference_entropy_per_model")
            .get(mdlm.toString())
            .asDouble();
    assertTrue(evalH > 0, "reference entropy " + evalH);
    assertEquals(evalH, paretoH, 1e-12);
  }

  private static String[] concat(String[] a, String[] b, String... c) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length + c.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }

  @Test
  void badInputExitsWithTwoAndOneLine() throws Exception {
    assertEquals(2, run("eval", "--model", tmp.resolve("missing").toString()));
    assertEquals(1, err.toString(StandardCharsets.UTF_8).strip().lines().count());
    assertEquals(2, run("eval", "--model", mdlm.toString(), "--scorer", scorer.toString()));
    assertEquals(
        2,
        run(
            "pareto",
            "--models",
            mdlm.toString(),
            "--steps",
            "0",
            "--scorer",
            scorer.toString(),
            "--out",
            tmp.resolve("p2").toString()));
    assertEquals(
        2,
        run(
            "pareto",
            "--models",
            scorer.toString(),
            "--scorer",
            scorer.toString(),
            "--out",
            tmp.resolve("p3").toString(),
            "--reference",
            text.toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("scorer"));
    assertEquals(
        2,
        run(
            "pareto",
            "--models",
            mdlm.toString(),
            "--scorer",
            mdlm.toString(),
            "--out",
            tmp.resolve("p4").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("autoregressive"));
    assertEquals(2, run("fit", "--runs", tmp.resolve("missing").toString()));
    Files.createDirectories(tmp.resolve("empty-runs"));
    assertEquals(2, run("fit", "--runs", tmp.resolve("empty-runs").toString()));
    Path file = Files.writeString(tmp.resolve("runs.txt"), "x");
    err.reset();
    assertEquals(2, run("fit", "--runs", file.toString()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("--runs " + file + " is a file; expected a folder of runs"), e);
  }
}
