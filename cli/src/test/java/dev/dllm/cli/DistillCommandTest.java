package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm distill} end to end on a tiny Duo run: train 2 steps at xxs, distil 2 rounds × 2
 * steps, export, sample at 8 steps; a run stopped at the round boundary and resumed reproduces the
 * uninterrupted loss trace exactly (with no option repeated; a changed one is refused); a non-Duo
 * checkpoint is refused with exit 2.
 */
class DistillCommandTest {
  @TempDir Path tmp;
  private final CliRun cli = new CliRun();
  private final ObjectMapper json = new ObjectMapper();

  private int run(String... args) {
    return cli.run(args);
  }

  private String err() {
    return cli.err();
  }

  private List<Double> trace(Path run) throws Exception {
    JsonNode t =
        json.readTree(run.resolve("checkpoint").resolve("config.json").toFile())
            .get("training")
            .get("loss_trace");
    List<Double> l = new ArrayList<>();
    t.forEach(n -> l.add(n.asDouble()));
    return l;
  }

  private String[] distill(Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "distill",
                "--out",
                out.toString(),
                "--rounds",
                "2",
                "--steps-per-round",
                "2",
                "--grid",
                "4",
                "--threads",
                "1",
                "--val-batches",
                "1"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  @Test
  void distilExportSampleAndResumeAtARoundBoundary() throws Exception {
    Path teacher = tmp.resolve("duo");
    assertEquals(0, run(CliRun.tinyTrain("duo", teacher)), err());

    Path full = tmp.resolve("distilled");
    assertEquals(0, run(distill(full, "--checkpoint", teacher.toString())), err());
    JsonNode report = json.readTree(full.resolve("train-report.json").toFile());
    assertEquals("duo", report.get("family").asText());
    assertEquals("dcd", report.get("objective").asText());
    assertEquals(4, report.get("steps").asInt());
    assertEquals(4 * 4 * 16, report.get("tokens").asLong(), "batch and L default to the source's");
    List<Double> trace = trace(full);
    assertEquals(4, trace.size());
    for (double l : trace) {
      // a KL is >= 0; its float32 estimate at student == teacher may round to about -1e-8
      assertTrue(Double.isFinite(l) && l >= -1e-6, "KL loss " + trace);
    }
    assertTrue(trace.stream().anyMatch(l -> l > 0), "the teacher's z_s differs: " + trace);
    assertTrue(cli.out().contains("distilled duo: 2 rounds x 2 steps"));

    // interrupted after the first round, resumed from the round-boundary checkpoint
    Path split = tmp.resolve("split");
    assertEquals(
        0, run(distill(split, "--checkpoint", teacher.toString(), "--stop-after", "2")), err());
    assertEquals(trace.subList(0, 2), trace(split));
    assertTrue(
        cli.out().contains("distillation stopped at step 2 of 4 (2 rounds x 2 steps"), cli.out());
    assertFalse(cli.out().contains("distilled duo: 1 rounds"), cli.out());
    // inside a round the frozen teacher is not checkpointed: such a stop is refused
    assertEquals(
        2,
        run(
            distill(
                tmp.resolve("mid-round"),
                "--checkpoint",
                teacher.toString(),
                "--stop-after",
                "3")));
    assertTrue(err().contains("--stop-after 3 stops inside a teacher round of 2 steps"), err());
    // a changed option is refused naming it; --resume alone continues with the stored options
    assertEquals(2, run("distill", "--resume", split.toString(), "--grid", "8"));
    assertTrue(
        err().contains("--grid differs from the run being resumed: stored 4, given 8"), err());
    assertEquals(2, run("distill", "--resume", split.toString(), "--val-batches", "2"));
    assertTrue(err().contains("--val-batches differs"), err());
    assertEquals(0, run("distill", "--resume", split.toString(), "--rounds", "2"), err());
    assertEquals(trace, trace(split), "resume reproduces the uninterrupted trace bit-exactly");

    Path ex = tmp.resolve("export");
    assertEquals(
        0,
        run(
            "export",
            "--checkpoint",
            full.resolve("checkpoint").toString(),
            "--out",
            ex.toString()),
        err());
    Path jsonl = tmp.resolve("samples.jsonl");
    assertEquals(
        0,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "2",
            "--steps",
            "8",
            "--seed",
            "3",
            "--out",
            jsonl.toString(),
            "--option",
            "greedy_tail=true"),
        err());
    Tokenizer tok = Checkpoint.load(full.resolve("checkpoint")).tokenizer();
    List<String> lines = Files.readAllLines(jsonl);
    assertEquals(2, lines.size());
    for (String line : lines) {
      JsonNode n = json.readTree(line);
      assertEquals(9, n.get("nfe").asInt(), "NFE = T + 1 at 8 steps");
      n.get("ids").forEach(id -> assertNotEquals(tok.specials().mask(), id.asInt()));
    }
  }

  @Test
  void everyDeclaredDistillationIsAnObjectiveOfItsFamilyWithItsGridOption() {
    var offered = dev.dllm.trainer.Objectives.distillations();
    assertEquals(java.util.Set.of("duo"), offered.keySet(), "Duo's DCD is the one registered");
    offered.forEach(
        (family, d) -> {
          var objective = dev.dllm.trainer.Objectives.forFamily(family);
          assertTrue(objective.objectives().contains(d.objective()), family + " " + d);
          assertTrue(objective.trainingOptions().contains(d.gridOption()), family + " " + d);
          objective.configure(Map.of(d.gridOption(), Integer.toString(d.defaultGrid())));
        });
  }

  @Test
  void refusesANonDuoCheckpointWithOneLine() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck-mdlm");
    Checkpoint.save(ck, DitInit.random(cfg, 3, 0.3), Map.of(), Map.of("seq_len", 16), tok, "mdlm");
    Path o = tmp.resolve("o");
    assertEquals(Main.EXIT_BAD_INPUT, run(distill(o, "--checkpoint", ck.toString())));
    String e = err().strip();
    assertTrue(e.contains("'mdlm', which has no distillation objective"), e);
    assertTrue(
        e.endsWith(
            "needs a duo checkpoint (Discrete Consistency Distillation; dllm train --family duo)"),
        "the families come from TrainingObjective#distillation(): " + e);
    assertEquals(1, e.lines().count(), e);
    assertFalse(Files.exists(o), "nothing written");

    assertEquals(Main.EXIT_BAD_INPUT, run(distill(o)));
    assertTrue(err().contains("--checkpoint is required"), err());
    assertEquals(
        Main.EXIT_BAD_INPUT, run(distill(o, "--checkpoint", tmp.resolve("none").toString())));
    assertTrue(err().contains("not a checkpoint"), err());
  }

  /** A checkpoint without a preset (random weights) is distilled through its recorded shape. */
  @Test
  void distilsACheckpointWithoutAPreset() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck-duo");
    Checkpoint.save(ck, DitInit.random(cfg, 3, 0.3), Map.of(), Map.of("seq_len", 16), tok, "duo");
    Path data = Files.writeString(tmp.resolve("d.txt"), "abcdefgh ijklmnop. ".repeat(200));
    Path o = tmp.resolve("o");
    assertEquals(
        0,
        run(distill(o, "--checkpoint", ck.toString(), "--data", data.toString(), "--batch", "2")),
        err());
    assertEquals(4, trace(o).size());
    assertEquals(cfg, Checkpoint.load(o.resolve("checkpoint")).config());
  }
}
