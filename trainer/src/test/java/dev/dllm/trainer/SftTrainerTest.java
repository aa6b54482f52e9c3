package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.data.SftData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Supervised fine-tuning through the {@link Trainer}: the given mask of the pairs reaches the
 * objective (micro-batch by micro-batch), validation scores the response given the prompt
 * (conditional NELBO over the free positions only), the report and checkpoint record the data and
 * options, and a run stopped half-way and resumed from its stored options alone reproduces the
 * uninterrupted loss trace and weights bit for bit.
 */
class SftTrainerTest {
  private static final int L = 32;
  private static final String[] WORDS = {
    "king", "queen", "lord", "sweet", "night", "love", "death", "crown", "sword", "blood",
    "heart", "grace", "honour", "father", "mother", "brother", "heaven", "earth", "fair", "noble"
  };

  @TempDir static Path shared;
  static Path init;
  static Path pairs;
  @TempDir Path tmp;

  /**
   * A 2-step MDLM xxs checkpoint (char vocabulary of Tiny Shakespeare) and 62 pairs, 2 too long.
   */
  @BeforeAll
  static void initCheckpoint() throws Exception {
    init = shared.resolve("init");
    new Trainer(TrainerResumeTest.tiny("mdlm", init).steps(2).build(), quiet()).run();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      String a = WORDS[i % WORDS.length];
      String b = WORDS[(i * 7 + 3) % WORDS.length];
      sb.append(String.format("{\"prompt\": \"%s %s?\", \"response\": \" %s %s.\"}%n", a, b, b, a));
      if (i == 10 || i == 40) { // 2 of 62 need more than L tokens: skipped, counted
        sb.append(
            "{\"prompt\": \"a long prompt\", \"response\": \" far too long for the block\"}\n");
      }
    }
    pairs = shared.resolve("pairs.jsonl");
    Files.writeString(pairs, sb.toString());
  }

  static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  static TrainConfig.Builder sft(Path out) throws Exception {
    Checkpoint.Loaded ck = Checkpoint.load(init.resolve("checkpoint"));
    return TrainConfig.builder()
        .family("mdlm")
        .preset(null)
        .tokenizer(ck.tokenizerSpec())
        .data(pairs)
        .seqLen(L)
        .batch(8)
        .steps(8)
        .lr(3e-3)
        .warmup(2)
        .seed(11)
        .threads(1)
        .logEvery(1000)
        .familyTraining(new FamilyTraining(Map.of(), init, 0))
        .sft(SftOptions.DEFAULT)
        .out(out);
  }

  private static SftData data(long seed) throws Exception {
    Tokenizer tok = Checkpoint.load(init.resolve("checkpoint")).tokenizer();
    return SftData.load(pairs, null, 0.05, 5, tok, L, seed);
  }

  /** Records x0 and the given mask of every micro-batch, then delegates. */
  static class Recording implements TrainingObjective<NDArray> {
    final TrainingObjective<NDArray> inner;
    final List<TrainingBatch> seen = new ArrayList<>();

    Recording(TrainingObjective<NDArray> inner) {
      this.inner = inner;
    }

    @Override
    public String family() {
      return inner.family();
    }

    @Override
    public Class<NDArray> arrayType() {
      return inner.arrayType();
    }

    @Override
    public Set<String> objectives() {
      return inner.objectives();
    }

    @Override
    public Set<String> trainingOptions() {
      return inner.trainingOptions();
    }

    @Override
    public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
      seen.add(batch);
      return inner.loss(batch, net, objective);
    }
  }

  @Test
  void theGivenMaskOfThePairsReachesTheObjective() throws Exception {
    List<Recording> rec = new ArrayList<>();
    new Trainer(sft(tmp.resolve("run")).steps(3).accumulation(2).build(), quiet())
        .wrapObjective(
            o -> {
              Recording r = new Recording(o);
              rec.add(r);
              return r;
            })
        .run();
    List<TrainingBatch> seen = rec.get(0).seen;
    assertEquals(6, seen.size(), "3 steps x 2 micro-batches");
    SftData data = data(11);
    for (int step = 0; step < 3; step++) {
      TokenBatch x0 = data.trainBatch(step, 8);
      boolean[] given = data.trainGiven(step, 8);
      for (int j = 0; j < 2; j++) {
        TrainingBatch mb = seen.get(step * 2 + j);
        assertEquals(step, mb.step());
        assertEquals(4, mb.batch());
        assertArrayEquals(Arrays.copyOfRange(x0.ids(), j * 4 * L, (j + 1) * 4 * L), mb.x0());
        assertNotNull(mb.given(), "fine-tuning batches carry the mask");
        assertArrayEquals(Arrays.copyOfRange(given, j * 4 * L, (j + 1) * 4 * L), mb.given());
        for (int b = 0; b < 4; b++) { // the prompt: a non-empty prefix, then free to the end
          int prompt = 0;
          while (prompt < L && mb.isGiven(b, prompt)) {
            prompt++;
          }
          assertTrue(prompt > 0 && prompt < L, "row " + b + ": prompt " + prompt);
          for (int l = prompt; l < L; l++) {
            assertFalse(mb.isGiven(b, l));
          }
          assertEquals(
              data.tokenizer().specials().eos(), mb.x0()[b * L + L - 1], "EOS-padded to L");
        }
      }
    }
    // the same steps in another order of the seed's permutation: another seed, other pairs
    assertFalse(Arrays.equals(data.trainBatch(0, 8).ids(), data(12).trainBatch(0, 8).ids()));
  }

  @Test
  void finetunesValidatesOnHeldOutResponsesAndRecordsTheData() throws Exception {
    Path out = tmp.resolve("ft");
    long t0 = System.nanoTime();
    TrainReport r = new Trainer(sft(out).build(), quiet()).run();
    double perStep = (System.nanoTime() - t0) / 1e9 / 8;
    System.out.printf("SftTrainerTest: finetune mdlm xxs B 8 L %d: %.3f s/step%n", L, perStep);
    assertEquals(8, r.steps());
    assertEquals(8L * 8 * L, r.tokens());
    assertEquals(6.0 * r.nEff() * r.tokens(), r.flops(), 1e-6 * r.flops());
    // held-out: 5% of 62 = 3 pairs; validation scores their free positions only (response + EOS)
    SftData data = data(11);
    assertEquals(data.validSequences(), ((Number) val(r).get("blocks")).longValue());
    long free = 0;
    boolean[] given = data.validGiven(0, 64);
    for (boolean g : given) {
      free += g ? 0 : 1;
    }
    assertEquals(free, r.valTokens(), "conditional NELBO: prompt positions are not scored");
    assertTrue(Double.isFinite(r.valNll()) && r.valNll() > 0);
    int skipped =
        ((Number) train(r).get("skipped")).intValue() + ((Number) val(r).get("skipped")).intValue();
    assertEquals(2, skipped, "the two long pairs are skipped and counted");
    assertEquals(
        62,
        ((Number) train(r).get("pairs")).intValue()
            + data.validSequences()
            + ((Number) val(r).get("skipped")).intValue());

    JsonNode report = new ObjectMapper().readTree(out.resolve("train-report.json").toFile());
    assertTrue(report.path("sft").path("template").asText().contains("Question: {question}"));
    JsonNode stored =
        new ObjectMapper()
            .readTree(out.resolve("checkpoint").resolve("config.json").toFile())
            .path("training")
            .path(StoredRunConfig.KEY);
    assertEquals(0.05, stored.path("sft").path("val_fraction").asDouble());
    assertEquals(init.toAbsolutePath().normalize().toString(), stored.path("init_from").asText());
    // the fine-tuned model is the init checkpoint's shape and tokenizer
    Checkpoint.Loaded a = Checkpoint.load(init.resolve("checkpoint"));
    Checkpoint.Loaded b = Checkpoint.load(out.resolve("checkpoint"));
    assertEquals(a.config(), b.config());
    assertEquals(a.tokenizerState(), b.tokenizerState());
  }

  @Test
  void resumedFinetuneReproducesTraceAndWeightsExactly(@TempDir Path t) throws Exception {
    TrainReport straight = new Trainer(sft(t.resolve("a")).accumulation(2).build(), quiet()).run();
    Path run = t.resolve("b");
    new Trainer(sft(run).accumulation(2).stopAfter(4).build(), quiet()).run();
    TrainConfig stored = StoredRunConfig.read(run); // --resume DIR alone: the stored options
    assertNotNull(stored.sft());
    TrainReport resumed =
        new Trainer(stored.toBuilder().resume(run).out(run).build(), quiet()).run();
    assertEquals(4, resumed.startStep());
    assertEquals(8, resumed.lossTrace().size());
    for (int i = 0; i < 8; i++) {
      assertEquals(
          Double.doubleToLongBits(straight.lossTrace().get(i)),
          Double.doubleToLongBits(resumed.lossTrace().get(i)),
          "step " + (i + 1));
    }
    assertEquals(straight.valNll(), resumed.valNll(), 0.0);
    DitWeights wa = Checkpoint.load(t.resolve("a").resolve("checkpoint")).weights();
    DitWeights wb = Checkpoint.load(run.resolve("checkpoint")).weights();
    assertEquals(wa.tensors().keySet(), wb.tensors().keySet());
    for (String k : wa.tensors().keySet()) {
      assertArrayEquals(wa.get(k).data(), wb.get(k).data(), k);
    }
  }

  @Test
  void theMaskChangesTheRealLoss() throws Exception {
    // AR (its ce objective draws nothing): the same micro-batch scored without the mask as well
    Path from = tmp.resolve("ar");
    new Trainer(TrainerResumeTest.tiny("ar", from).steps(1).build(), quiet()).run();
    List<double[]> losses = new ArrayList<>();
    new Trainer(
            sft(tmp.resolve("ar-sft"))
                .family("ar")
                .steps(1)
                .familyTraining(new FamilyTraining(Map.of(), from, 0))
                .build(),
            quiet())
        .wrapObjective(
            o ->
                new Recording(o) {
                  @Override
                  public NDArray loss(TrainingBatch b, Backbone<NDArray> net, String objective) {
                    TrainingBatch plain =
                        new TrainingBatch(
                            b.x0(),
                            b.batch(),
                            b.length(),
                            b.t(),
                            b.specials(),
                            b.rng(),
                            b.step(),
                            b.totalSteps());
                    NDArray masked = inner.loss(b, net, objective);
                    losses.add(
                        new double[] {
                          masked.getFloat(), inner.loss(plain, net, objective).getFloat()
                        });
                    return masked;
                  }
                })
        .run();
    assertEquals(1, losses.size());
    double masked = losses.get(0)[0];
    double all = losses.get(0)[1];
    assertTrue(Double.isFinite(masked) && Double.isFinite(all));
    assertTrue(Math.abs(masked - all) > 1e-4, "the prompt is not scored: " + masked + " vs " + all);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm"}) // the trainer tests see these two; the cli tests all four
  void everyFamilyFinetunesAndScoresTheHeldOutResponsesOnly(String family) throws Exception {
    Path from = tmp.resolve(family);
    new Trainer(TrainerResumeTest.tiny(family, from).steps(1).build(), quiet()).run();
    TrainReport r =
        new Trainer(
                sft(tmp.resolve(family + "-sft"))
                    .family(family)
                    .steps(2)
                    .familyTraining(new FamilyTraining(Map.of(), from, 0))
                    .build(),
                quiet())
            .run();
    assertEquals(family, r.family());
    assertTrue(Double.isFinite(r.valNll()) && r.valNll() > 0, family + ": " + r.valNll());
    long free = 0;
    for (boolean g : data(11).validGiven(0, 64)) {
      free += g ? 0 : 1;
    }
    assertEquals(free, r.valTokens(), family + ": only the free positions are scored");
  }

  @Test
  void badFineTuningInputIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path out = tmp.resolve("never");
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                new Trainer(
                        sft(out).familyTraining(FamilyTraining.NONE).tokenizer("char").build(),
                        quiet())
                    .run());
    assertTrue(e.getMessage().contains("fine-tuning needs --init-from"), e.getMessage());
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"prompt\": \"king\", \"response\": \" lord\"}\n{\"prompt\": 1}\n");
    e =
        assertThrows(
            InvalidInputException.class,
            () -> new Trainer(sft(out).data(bad).build(), quiet()).run());
    assertTrue(e.getMessage().startsWith(bad + ":2: "), e.getMessage());
    Path digits = tmp.resolve("digits.jsonl");
    Files.writeString(
        digits,
        "{\"question\": \"king\", \"answer\": \"#### 72\"}\n"
            + "{\"question\": \"lord\", \"answer\": \"#### 72\"}\n");
    e =
        assertThrows(
            InvalidInputException.class,
            () -> new Trainer(sft(out).data(digits).build(), quiet()).run());
    assertTrue(e.getMessage().startsWith(digits + ":"), e.getMessage());
    assertTrue(e.getMessage().contains(": field \"answer\": "), e.getMessage());
    assertTrue(e.getMessage().contains("'#' (U+0023)") || e.getMessage().contains("'7'"));
    assertFalse(Files.exists(out), "nothing written");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> train(TrainReport r) {
    return (Map<String, Object>) r.sft().get("train");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> val(TrainReport r) {
    return (Map<String, Object>) r.sft().get("val");
  }
}
