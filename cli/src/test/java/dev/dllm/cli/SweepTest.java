package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sweep restarted after an interruption skips finished runs and resumes the interrupted one. */
class SweepTest {
  @TempDir Path tmp;

  private TrainConfig.Builder base(Path data) {
    return TrainConfig.builder()
        .data(data)
        .tokenizer("char")
        .seqLen(16)
        .batch(4)
        .threads(1)
        .valBatches(1)
        .checkpointEvery(1);
  }

  @Test
  void restartSkipsFinishedAndResumesInterrupted() throws Exception {
    Path data = tmp.resolve("corpus.txt");
    Files.writeString(data, "to be or not to be, that is the question.\n".repeat(60));
    Path out = tmp.resolve("sweep");
    // xxs: ~3.9e7 FLOPs per step at B=4, L=16, so 1e8 -> 2 steps, 2e8 -> 5, 3e8 -> 7
    Sweep.Run a = new Sweep.Run("ar", null, "xxs", 1e8);
    Sweep.Run b = new Sweep.Run("ar", null, "xxs", 2e8);
    Sweep.Run c = new Sweep.Run("ar", null, "xxs", 3e8);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
    assertEquals(2, Sweep.run(new Sweep.Plan(List.of(a, b), base(data).seed(3), out), ps));
    byte[] reportA = Files.readAllBytes(a.dir(out).resolve("train-report.json"));
    byte[] reportB = Files.readAllBytes(b.dir(out).resolve("train-report.json"));
    // an interrupted third run: stopped after 2 of its steps
    new Trainer(
            base(data)
                .seed(3)
                .family("ar")
                .preset("xxs")
                .flops(3e8)
                .out(c.dir(out))
                .stopAfter(2)
                .build(),
            ps)
        .run();
    assertEquals(Sweep.State.INTERRUPTED, Sweep.state(c.dir(out)));

    log.reset();
    assertEquals(3, Sweep.run(new Sweep.Plan(List.of(a, b, c), base(data).seed(3), out), ps));
    String text = log.toString(StandardCharsets.UTF_8);
    assertEquals(2, text.split("finished earlier, skipped", -1).length - 1, text);
    assertTrue(text.contains("[3/3] ar xxs C=3.00e+08: resuming"), text);
    assertArrayEquals(reportA, Files.readAllBytes(a.dir(out).resolve("train-report.json")));
    assertArrayEquals(reportB, Files.readAllBytes(b.dir(out).resolve("train-report.json")));
    JsonNode rc = new ObjectMapper().readTree(c.dir(out).resolve("train-report.json").toFile());
    assertEquals(2, rc.get("start_step").asLong());
    assertEquals(rc.get("steps").asLong(), rc.get("end_step").asLong());
    assertTrue(rc.get("steps").asLong() > 2);
    List<String> csv = Files.readAllLines(out.resolve("runs.csv"));
    assertEquals(SweepCsv.CSV_HEADER, csv.get(0));
    assertEquals(4, csv.size());
    for (String row : csv.subList(1, 4)) {
      assertTrue(row.contains(",finished,"), row);
    }
    // the seed is the last column, read back by dllm fit
    List<dev.dllm.eval.scaling.RunRecord> rows =
        dev.dllm.eval.scaling.RunsCsv.read(out.resolve("runs.csv"));
    assertEquals(List.of(3L, 3L, 3L), rows.stream().map(r -> r.seed()).toList());
    assertEquals(Sweep.State.FINISHED, Sweep.state(c.dir(out)));

    // a smaller grid into the same folder: its run first, then the other finished runs, none lost
    assertEquals(1, Sweep.run(new Sweep.Plan(List.of(b), base(data).seed(3), out), ps));
    List<String> again = Files.readAllLines(out.resolve("runs.csv"));
    assertEquals(4, again.size(), again.toString());
    assertEquals(csv.get(2), again.get(1));
    assertEquals(List.of(csv.get(1), csv.get(3)), again.subList(2, 4));
    assertEquals("C1.5e13", Sweep.budgetName(1.5e13));
    assertEquals("C1e12", Sweep.budgetName(1e12));
  }

  @Test
  void defaultScorerIsTrainedOnceThenCached() throws Exception {
    Path data = tmp.resolve("corpus.txt");
    Files.writeString(data, "to be or not to be, that is the question.\n".repeat(60));
    TrainConfig.Builder tiny = base(data).family("ar").preset("xxs").steps(2);
    Path dir = tmp.resolve("scorer");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
    Path onnx = DefaultScorer.ensure(tiny, dir, "recipe", ps);
    assertTrue(Files.isRegularFile(onnx.resolve("model.onnx")));
    assertTrue(Files.isRegularFile(onnx.resolve("decode.onnx")));
    assertEquals("recipe", Files.readString(dir.resolve("recipe.txt")).strip());
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("training the default"));
    log.reset();
    assertEquals(onnx, DefaultScorer.ensure(tiny, dir, "recipe", ps));
    assertEquals("", log.toString(StandardCharsets.UTF_8), "second call must not train");
  }

  @Test
  void aRerunWithOtherOptionsIsRefusedNotSkippedAsFinished() throws Exception {
    Path data = tmp.resolve("corpus.txt");
    Files.writeString(data, "to be or not to be, that is the question.\n".repeat(60));
    Path out = tmp.resolve("sweep");
    Sweep.Run a = new Sweep.Run("ar", null, "xxs", 1e8);
    PrintStream ps = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals(1, Sweep.run(new Sweep.Plan(List.of(a), base(data), out), ps));
    byte[] csv = Files.readAllBytes(out.resolve("runs.csv"));
    Sweep.Run b = new Sweep.Run("ar", null, "xxs", 2e8);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> Sweep.run(new Sweep.Plan(List.of(b, a), base(data).seqLen(32), out), ps));
    assertTrue(e.getMessage().contains(a.dir(out).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("--seq-len 16, this sweep asks for 32"), e.getMessage());
    assertFalse(Files.exists(b.dir(out)), "refused before any training");
    assertArrayEquals(csv, Files.readAllBytes(out.resolve("runs.csv")));
    // the changeable options may differ: threads, checkpoint cadence
    assertEquals(
        1,
        Sweep.run(new Sweep.Plan(List.of(a), base(data).threads(2).checkpointEvery(0), out), ps));
  }
}
