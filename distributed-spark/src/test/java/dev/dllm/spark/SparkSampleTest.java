package dev.dllm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm pareto|eval --spark local[2]} against the serial commands on tiny random exports:
 * every number but the timings is the same bit for bit, and each export is opened once per JVM.
 */
class SparkSampleTest {
  @TempDir static Path tmp;
  static Path mdlm;
  static Path ar;
  static Path scorer;
  static Path text;
  private static final ObjectMapper JSON = new ObjectMapper();

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
    CliRuns.Outcome o =
        CliRuns.run("export", "--checkpoint", ck.toString(), "--out", ex.toString());
    assertEquals(0, o.rc(), o.err());
    return ex;
  }

  @BeforeAll
  static void exports() throws Exception {
    mdlm = export("mdlm", Attention.BIDIRECTIONAL, 3);
    ar = export("ar", Attention.CAUSAL, 4);
    scorer = export("ar", Attention.CAUSAL, 5);
    text = tmp.resolve("text.txt");
    Files.writeString(text, "abc def ghij klm nop. ".repeat(20));
  }

  private static String[] pareto(Path out, String... extra) {
    List<String> a =
        new java.util.ArrayList<>(
            List.of(
                "pareto",
                "--models",
                mdlm + "," + ar,
                "--steps",
                "4,8",
                "--scorer",
                scorer.toString(),
                "--num-samples",
                "7",
                "--batch",
                "3",
                "--reference",
                text.toString(),
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  @Test
  void paretoOnSparkEqualsSerialBitForBit() throws Exception {
    Path serial = tmp.resolve("pareto-serial");
    Path spark = tmp.resolve("pareto-spark");
    CliRuns.Outcome s = CliRuns.run(pareto(serial));
    assertEquals(0, s.rc(), s.err());
    int before = ExportCache.opened();
    CliRuns.Outcome d = CliRuns.run(pareto(spark, "--spark", "local[2]"));
    assertEquals(0, d.rc(), d.err());
    // 3 points (mdlm at T 4 and 8, ar at L - 1) of ceil(7 / 3) = 3 units: 9 tasks, 3 exports
    assertEquals(3, ExportCache.opened() - before, "one session per export and JVM");
    JsonNode a = JSON.readTree(serial.resolve("pareto.json").toFile()).path("points");
    JsonNode b = JSON.readTree(spark.resolve("pareto.json").toFile()).path("points");
    assertEquals(3, a.size());
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      for (String key :
          List.of("family", "model", "variant", "steps", "gen_ppl", "entropy", "nfe", "batch")) {
        assertEquals(a.get(i).path(key), b.get(i).path(key), "point " + i + " " + key);
      }
      assertTrue(a.get(i).path("gen_ppl").asDouble() > 1, a.get(i).toString());
    }
  }

  @Test
  void evalOnSparkEqualsSerialBitForBit() throws Exception {
    String[] args = {
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
      "5",
      "--batch",
      "2",
      "--steps",
      "8"
    };
    Path serial = tmp.resolve("eval-serial");
    Path spark = tmp.resolve("eval-spark");
    CliRuns.Outcome s = CliRuns.run(with(args, "--out", serial.toString()));
    assertEquals(0, s.rc(), s.err());
    CliRuns.Outcome d = CliRuns.run(with(args, "--out", spark.toString(), "--spark", "local[2]"));
    assertEquals(0, d.rc(), d.err());
    JsonNode a = JSON.readTree(serial.resolve("eval-report.json").toFile());
    JsonNode b = JSON.readTree(spark.resolve("eval-report.json").toFile());
    assertEquals(a.path("likelihood"), b.path("likelihood"));
    for (String key : List.of("nats_per_token", "scored_tokens", "ppl", "chunks", "samples")) {
      assertTrue(a.path("gen_ppl").has(key), a.path("gen_ppl").toString());
      assertEquals(a.path("gen_ppl").path(key), b.path("gen_ppl").path(key), key);
    }
    for (String key : List.of("entropy_mean", "nfe_per_sample", "steps", "num_samples")) {
      assertEquals(a.path("sampling").path(key), b.path("sampling").path(key), key);
    }
  }

  private static String[] with(String[] args, String... more) {
    String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, out, args.length, more.length);
    return out;
  }
}
