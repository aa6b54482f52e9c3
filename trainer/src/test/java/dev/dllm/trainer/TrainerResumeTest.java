package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill-and-resume: 20 steps in one go equal 10 steps + resume + 10 steps, bit for bit, and the
 * resumed report covers the whole run; a resume with changed options or of a finished run is
 * refused.
 */
class TrainerResumeTest {

  static TrainConfig.Builder tiny(String family, Path out) {
    return TrainConfig.builder()
        .family(family)
        .preset("xxs")
        .tokenizer("char")
        .seqLen(32)
        .batch(8)
        .lr(3e-3)
        .warmup(3)
        .seed(5)
        .threads(1)
        .valBatches(2)
        .logEvery(1000)
        .out(out);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  @Test
  void resumedRunReproducesTheLossTraceExactly(@TempDir Path tmp) throws Exception {
    // mdlm with accumulation 2 exercises stratified times, corruption draws and micro-steps
    TrainReport straight =
        new Trainer(tiny("mdlm", tmp.resolve("a")).steps(20).accumulation(2).build(), quiet())
            .run();
    assertEquals(20, straight.lossTrace().size());

    TrainReport first =
        new Trainer(
                tiny("mdlm", tmp.resolve("b")).steps(20).accumulation(2).stopAfter(10).build(),
                quiet())
            .run();
    assertEquals(10, first.lossTrace().size());
    Path ck = tmp.resolve("b").resolve("checkpoint");
    assertEquals(10L, ((Number) Checkpoint.load(ck).trainingState().get("step")).longValue());

    TrainReport second =
        new Trainer(
                tiny("mdlm", tmp.resolve("c")).steps(20).accumulation(2).resume(ck).build(),
                quiet())
            .run();
    assertEquals(10, second.startStep());
    // the report of the resumed run covers the whole run; segment_* describe this invocation
    assertEquals(20, second.steps());
    assertEquals(10, second.segmentSteps());
    assertEquals(straight.tokens(), second.tokens());
    assertEquals(straight.flops(), second.flops(), 0.0);
    assertEquals(0, second.lossTraceStart());
    assertTrue(second.seconds() >= second.segmentSeconds() + first.segmentSeconds() * 0.99);
    assertEquals(first.lossTrace(), second.lossTrace().subList(0, 10));
    List<Double> joined = second.lossTrace();
    assertEquals(20, joined.size());
    for (int i = 0; i < 20; i++) {
      assertEquals(
          Double.doubleToLongBits(straight.lossTrace().get(i)),
          Double.doubleToLongBits(joined.get(i)),
          "step " + (i + 1) + ": " + straight.lossTrace().get(i) + " vs " + joined.get(i));
    }
    assertEquals(straight.valNll(), second.valNll(), 0.0);
    assertTrue(Files.isRegularFile(tmp.resolve("c").resolve("train-report.json")));
  }

  @Test
  void resumeRefusesChangedOptionsAndAFinishedRun(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    new Trainer(tiny("ar", run).steps(3).stopAfter(1).build(), quiet()).run();
    TrainConfig.Builder again = tiny("ar", run).steps(3).resume(run); // the run folder works too
    for (Object[] c :
        new Object[][] {
          {tiny("ar", run).steps(3).resume(run).preset("xs"), "--preset xxs", "--preset xs"},
          {
            tiny("ar", run).steps(3).resume(run).modelConfig(tmp.resolve("m.yaml")),
            "--preset xxs",
            "--model-config " + tmp.resolve("m.yaml")
          },
          {tiny("ar", run).steps(3).resume(run).tokenizer("byte"), "--tokenizer char", "byte"},
          {tiny("ar", run).steps(3).resume(run).lr(1e-3), "--lr", "0.001"},
          {tiny("ar", run).steps(4).resume(run), "total steps", "4"},
        }) {
      TrainConfig cfg = ((TrainConfig.Builder) c[0]).build();
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> new Trainer(cfg, quiet()).run());
      assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
      assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
    }
    TrainReport done = new Trainer(again.build(), quiet()).run();
    assertEquals(3, done.steps());
    assertEquals(3, done.lossTrace().size());
    assertNull(done.flopsBudget(), "--steps run: flops_budget is null");
    JsonNode json = new ObjectMapper().readTree(run.resolve("train-report.json").toFile());
    assertTrue(json.get("flops_budget").isNull(), json.toString());
    assertEquals(3, json.get("steps").asLong());
    assertEquals(2, json.get("segment_steps").asLong());

    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> new Trainer(again.build(), quiet()).run());
    assertTrue(e.getMessage().contains("already finished: 3/3 steps"), e.getMessage());
    assertFalse(Files.readString(run.resolve("train-report.json")).contains("NaN"));
  }
}
