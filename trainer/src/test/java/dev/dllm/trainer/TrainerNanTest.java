package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.Tensor;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerNanTest {

  @Test
  void nanLossStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("run");
    TrainConfig cfg = TrainerResumeTest.tiny("ar", out).steps(10).checkpointEvery(2).build();
    byte[][] before = new byte[1][];
    Trainer trainer =
        new Trainer(cfg, new PrintStream(new ByteArrayOutputStream()))
            .injectNan(
                step -> {
                  if (step == 5) { // 0-based: the checkpoint of step 4 is the last good one
                    before[0] = read(out.resolve("checkpoint").resolve(Checkpoint.MODEL_FILE));
                    return true;
                  }
                  return false;
                });
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::run);
    assertTrue(e.getMessage().contains("step 6"), e.getMessage());
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertTrue(e.getMessage().contains("step 4"), e.getMessage());

    Path ck = out.resolve("checkpoint");
    assertTrue(Arrays.equals(before[0], read(ck.resolve(Checkpoint.MODEL_FILE))));
    Checkpoint.Loaded loaded = Checkpoint.load(ck);
    assertEquals(4L, ((Number) loaded.trainingState().get("step")).longValue());
    for (Tensor t : loaded.weights().tensors().values()) {
      for (float f : t.data()) {
        assertTrue(Float.isFinite(f));
      }
    }
    assertFalse(Files.exists(out.resolve("train-report.json")), "no report for a failed run");
  }

  @Test
  void genuineDivergenceNamesTheStepAndSavesTheBatch(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("run");
    TrainConfig cfg =
        TrainerResumeTest.tiny("ar", out).steps(40).lr(1e7).warmup(0).checkpointEvery(1).build();
    Trainer trainer = new Trainer(cfg, new PrintStream(new ByteArrayOutputStream()));
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::run);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("diverged at step (\\d+)").matcher(e.getMessage());
    assertTrue(m.find(), e.getMessage());
    long step = Long.parseLong(m.group(1));
    assertTrue(
        e.getMessage().contains("loss is")
            || e.getMessage().contains("first non-finite gradient: "),
        e.getMessage());
    Path saved = out.resolve("diverged-step-" + step + ".json");
    assertTrue(e.getMessage().contains(saved.toString()), e.getMessage());
    java.util.Map<?, ?> batch =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readValue(saved.toFile(), java.util.Map.class);
    assertEquals((int) step, ((Number) batch.get("step")).intValue());
    java.util.List<?> ids = (java.util.List<?>) batch.get("ids");
    assertEquals(cfg.batch(), ids.size());
    assertEquals(cfg.seqLen(), ((java.util.List<?>) ids.get(0)).size());
    Checkpoint.Loaded loaded = Checkpoint.load(out.resolve("checkpoint"));
    assertEquals(step - 1, ((Number) loaded.trainingState().get("step")).longValue());
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
