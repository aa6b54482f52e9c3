package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitPresets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** AR and MDLM xxs train on the bundled Tiny Shakespeare for a few steps and the loss drops. */
class TrainerSmokeTest {

  @ParameterizedTest
  @CsvSource({"ar, ce", "mdlm, low_var"})
  void trainsOnTheBundledCorpus(String family, String objective, @TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve(family);
    TrainConfig cfg =
        TrainerResumeTest.tiny(family, out).objective(objective).steps(30).batch(16).build();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainReport r = new Trainer(cfg, new PrintStream(log)).run();

    List<Double> trace = r.lossTrace();
    double first = (trace.get(0) + trace.get(1) + trace.get(2)) / 3;
    double last = (trace.get(27) + trace.get(28) + trace.get(29)) / 3;
    assertTrue(last < 0.85 * first, family + ": loss " + first + " -> " + last);
    // zero-initialised output layer: the first loss is ln V for AR (CE over V-way uniform logits)
    if (family.equals("ar")) {
      assertEquals(Math.log(r.vocabSize() - 1.0), trace.get(0), 0.05);
    }

    var shape = DitPresets.preset("xxs", r.vocabSize(), BackboneSpec.Attention.CAUSAL);
    assertEquals(DitLayout.totalParams(shape), r.paramsTotal());
    assertEquals(shape.nEff(), r.nEff());
    assertEquals(30L * 16 * 32, r.tokens());
    assertEquals(6.0 * shape.nEff() * r.tokens(), r.flops(), 1e-6 * r.flops());
    assertTrue(Double.isFinite(r.valNll()) && r.valNll() > 0 && r.valTokens() > 0);
    assertEquals(Math.exp(r.valNll()), r.valPpl(), 1e-9 * r.valPpl());

    JsonNode json = new ObjectMapper().readTree(out.resolve("train-report.json").toFile());
    for (String key :
        List.of(
            "family",
            "objective",
            "preset",
            "params_total",
            "params_non_embedding",
            "n_eff",
            "seq_len",
            "batch",
            "steps",
            "tokens",
            "flops",
            "seconds",
            "tokens_per_second",
            "final_train_loss",
            "val_nll",
            "val_ppl",
            "val_tokens")) {
      assertTrue(json.has(key), "train-report.json lacks " + key);
    }
    assertEquals(family, json.get("family").asText());
    assertTrue(Files.isRegularFile(out.resolve("checkpoint").resolve("model.safetensors")));
  }
}
