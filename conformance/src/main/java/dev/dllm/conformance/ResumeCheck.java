package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.Tensor;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Check 6 of {@link FamilyConformanceTestCase}: a tiny {@link Trainer} run of {@link #STEPS} steps
 * (global batch 2B in 2 accumulation micro-batches, so stratified times, per-micro-batch Rng splits
 * and accumulation are all exercised) against the same run stopped after {@link #STEPS}/2 steps and
 * resumed from its checkpoint: the loss traces, final weights and optimizer state must be
 * bit-identical (same seed, one PyTorch thread).
 */
final class ResumeCheck {
  static final int STEPS = 6;

  private ResumeCheck() {}

  static void run(Fixture f) throws Exception {
    Path corpus = f.corpus(4000);
    Path model = f.modelFile();
    Path runs = f.dir.resolve("runs");
    TrainReport straight = run(train(f, corpus, model, runs.resolve("straight")));
    run(train(f, corpus, model, runs.resolve("first")).stopAfter(STEPS / 2));
    TrainReport resumed =
        run(
            train(f, corpus, model, runs.resolve("resumed"))
                .resume(runs.resolve("first").resolve("checkpoint")));

    List<Double> a = straight.lossTrace();
    List<Double> b = resumed.lossTrace();
    assertEquals(STEPS, a.size(), "straight loss trace");
    assertEquals(STEPS, b.size(), "resumed loss trace (whole run)");
    assertEquals(STEPS / 2, resumed.startStep());
    for (int i = 0; i < STEPS; i++) {
      assertTrue(Double.isFinite(a.get(i)), "loss of step " + (i + 1) + " is " + a.get(i));
      assertEquals(
          Double.doubleToLongBits(a.get(i)),
          Double.doubleToLongBits(b.get(i)),
          "step " + (i + 1) + ": " + a.get(i) + " straight vs " + b.get(i) + " resumed");
    }
    assertNotEquals(a.get(0), a.get(STEPS - 1), "the loss never changed; training is vacuous");
    assertEquals(
        Double.doubleToLongBits(straight.valNll()),
        Double.doubleToLongBits(resumed.valNll()),
        "validation NLL");

    Checkpoint.Loaded x = Checkpoint.load(runs.resolve("straight").resolve("checkpoint"));
    Checkpoint.Loaded y = Checkpoint.load(runs.resolve("resumed").resolve("checkpoint"));
    assertSame("weights", x.weights().tensors(), y.weights().tensors());
    assertSame("optimizer state", x.optimizerState(), y.optimizerState());
  }

  private static TrainConfig.Builder train(Fixture f, Path corpus, Path model, Path out) {
    return TrainConfig.builder()
        .family(f.familyName)
        .modelConfig(model)
        .data(corpus)
        .tokenizer("char")
        .seqLen(f.tiny.length())
        .batch(2 * f.tiny.batch())
        .accumulation(2)
        .steps(STEPS)
        .lr(3e-3)
        .warmup(2)
        .seed(5)
        .threads(1)
        .valBatches(1)
        .logEvery(1000)
        .out(out);
  }

  private static void assertSame(String what, Map<String, Tensor> x, Map<String, Tensor> y) {
    assertEquals(x.keySet(), y.keySet(), what + ": tensor names");
    for (Map.Entry<String, Tensor> e : x.entrySet()) {
      Tensor t = y.get(e.getKey());
      assertArrayEquals(e.getValue().shape(), t.shape(), what + " " + e.getKey() + ": shape");
      assertArrayEquals(e.getValue().data(), t.data(), what + " " + e.getKey() + " differs");
    }
  }

  /** Runs quietly (the check reads the report, not the log). */
  private static TrainReport run(TrainConfig.Builder config) {
    return new Trainer(config.build(), new PrintStream(OutputStream.nullOutputStream())).run();
  }
}
