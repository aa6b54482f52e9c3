package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs that cannot fit in memory are refused before anything is allocated or written. */
class MemoryBudgetTest {
  private static final long GIB = 1L << 30;
  private static final DitConfig SHAPE =
      new DitConfig(69, 128, 4, 4, 128, Attention.BIDIRECTIONAL, 0.0);

  private static TrainConfig config(int batch, int seqLen, int accum, double ema) {
    return TrainConfig.builder()
        .family("ar")
        .batch(batch)
        .seqLen(seqLen)
        .accumulation(accum)
        .ema(ema)
        .steps(1)
        .out(Path.of("unused"))
        .build();
  }

  @Test
  void estimateFollowsTheFormulaOfTheClassComment() {
    MemoryBudget.Estimate e = MemoryBudget.estimate(config(32, 256, 2, 0), SHAPE, 1000);
    long p = DitLayout.totalParams(SHAPE);
    assertEquals(16 * p, e.modelBytes());
    // micro-batch 16 of 256 tokens; per token 4 blocks × (16·128 + 4·256) + 3·69 float32 values
    assertEquals(4L * 16 * 256 * (4 * (16 * 128 + 4 * 256) + 3 * 69), e.activationBytes());
    // validation logits of min(32, 1000) rows exceed the token batch: 4·32·256·69
    assertEquals(4L * 32 * 256 * 69, e.heapBytes());
    assertEquals(20 * p, MemoryBudget.estimate(config(32, 256, 2, 0.9), SHAPE, 1000).modelBytes());
  }

  @Test
  void theDemoRunFitsAndAHugeBatchIsRefusedNamingTheOption() {
    assertDoesNotThrow(() -> MemoryBudget.check(config(32, 256, 1, 0), SHAPE, 100, GIB, 8 * GIB));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> MemoryBudget.check(config(1_000_000, 256, 1, 0), SHAPE, 100, GIB, 8 * GIB));
    assertTrue(
        e.getMessage().startsWith("--batch 1000000 (--seq-len 256, --accum 1)"), e.getMessage());
    assertTrue(e.getMessage().contains("8.0 GiB of memory"), e.getMessage());
    assertTrue(e.getMessage().contains("--accum K"), e.getMessage());
    // the same batch in 10000 micro-batches of 100 rows fits
    assertDoesNotThrow(
        () -> MemoryBudget.check(config(1_000_000, 256, 10_000, 0), SHAPE, 100, 4 * GIB, 8 * GIB));
  }

  @Test
  void heapAndModelLimitsNameTheirOptions() {
    InvalidInputException heap =
        assertThrows(
            InvalidInputException.class,
            () -> MemoryBudget.check(config(1024, 4096, 1024, 0), SHAPE, 0, 8L << 20, 1L << 50));
    assertTrue(heap.getMessage().contains("Java heap"), heap.getMessage());
    assertTrue(heap.getMessage().contains("DLLM_JAVA_OPTS=-Xmx"), heap.getMessage());

    DitConfig big = new DitConfig(50257, 4096, 48, 32, 128, Attention.BIDIRECTIONAL, 0.0);
    InvalidInputException model =
        assertThrows(
            InvalidInputException.class,
            () -> MemoryBudget.check(config(1, 16, 1, 0), big, 1, 64 * GIB, 16 * GIB));
    assertTrue(model.getMessage().startsWith("--preset xs: the model's"), model.getMessage());
    assertFalse(model.getMessage().contains("--batch"), model.getMessage());
  }

  @Test
  void refusalComesBeforeTrainingAndCreatesNoOutFolder(@TempDir Path tmp) {
    Path out = tmp.resolve("never");
    TrainConfig cfg = TrainerResumeTest.tiny("ar", out).batch(2_000_000).steps(1).build();
    Trainer t =
        new Trainer(cfg, new PrintStream(new ByteArrayOutputStream()))
            .injectNan(
                s -> {
                  throw new AssertionError("trained step " + s + " before refusing");
                });
    InvalidInputException e = assertThrows(InvalidInputException.class, t::run);
    assertTrue(e.getMessage().startsWith("--batch 2000000"), e.getMessage());
    assertFalse(Files.exists(out), "nothing is created in --out on refusal");
  }

  @Test
  void aBatchBeyondOneJavaArrayIsRefusedByValidate() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> config(1_000_000_000, 256, 1, 0).validate());
    assertTrue(e.getMessage().startsWith("--batch 1000000000 with --seq-len 256"), e.getMessage());
  }

  @Test
  void bytesAreHumanReadable() {
    assertEquals("512 B", MemoryBudget.bytes(512));
    assertEquals("1.5 GiB", MemoryBudget.bytes(3L << 29));
  }
}
