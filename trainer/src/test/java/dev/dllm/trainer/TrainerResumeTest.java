package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kill-and-resume: 20 steps in one go equal 10 steps + resume + 10 steps, bit for bit. */
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
    List<Double> joined = new ArrayList<>(first.lossTrace());
    joined.addAll(second.lossTrace());
    for (int i = 0; i < 20; i++) {
      assertEquals(
          Double.doubleToLongBits(straight.lossTrace().get(i)),
          Double.doubleToLongBits(joined.get(i)),
          "step " + (i + 1) + ": " + straight.lossTrace().get(i) + " vs " + joined.get(i));
    }
    assertEquals(straight.valNll(), second.valNll(), 0.0);
    assertTrue(Files.isRegularFile(tmp.resolve("c").resolve("train-report.json")));
  }
}
