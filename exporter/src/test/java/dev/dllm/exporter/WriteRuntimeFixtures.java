package dev.dllm.exporter;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Regenerates the tiny exports that runtime-onnx tests load (runtime-onnx cannot depend on the
 * exporter: its class path must stay free of DJL). Run on demand:
 *
 * <pre>./mvnw -o -Ddllm.target=target-x test -pl exporter -am -Dtest=WriteRuntimeFixtures
 *   -Dsurefire.failIfNoSpecifiedTests=false -Ddllm.writeFixtures=$PWD/runtime-onnx/src/test/resources/fixtures
 * </pre>
 *
 * Copy only the fixtures a change needs: an export written today also has a block graph, which
 * mdlm-tiny lacks on purpose. Each fixture directory also holds {@code expected.json}: tokens,
 * sigma and the float64 {@link ReferenceDit} logits, so the runtime tests compare against an
 * independent forward.
 */
class WriteRuntimeFixtures {
  static final String SAMPLE = "to be, or not to be: that is the question.";

  @Test
  @EnabledIfSystemProperty(named = "dllm.writeFixtures", matches = ".+")
  void write() throws Exception {
    Path root = Path.of(System.getProperty("dllm.writeFixtures"));
    Tokenizer tok = Tokenizers.create("char", SAMPLE);
    write(root.resolve("mdlm-tiny"), "mdlm", tok, Attention.BIDIRECTIONAL, 21);
    write(root.resolve("ar-tiny"), "ar", tok, Attention.CAUSAL, 22);
    // Eso-LM with alpha_0 = 0.5, so that sampling has a diffusion and a sequential phase; its
    // decode.onnx is the window KV-cache graph (the server's Eso-LM streaming tests)
    write(
        root.resolve("esolm-tiny"),
        "esolm",
        tok,
        Attention.SORTED_CAUSAL,
        23,
        "log-linear",
        Map.of(
            "alpha_0",
            "0.5",
            "batch_split",
            "0.5",
            "schedule",
            "log-linear",
            "time_conditioning",
            "false"));
    // mdlm-tiny's weights with the block KV graph (decode.onnx) that bidirectional exports carry
    // since issue 20 (mdlm-tiny itself was written before, without one): the server's cache=dual
    write(root.resolve("mdlm-block-tiny"), "mdlm", tok, Attention.BIDIRECTIONAL, 21);
  }

  static void write(Path dir, String family, Tokenizer tok, Attention a, long seed)
      throws Exception {
    write(
        dir,
        family,
        tok,
        a,
        seed,
        family.equals("ar") ? "" : "{\"name\":\"log-linear\"}",
        Map.of());
  }

  static void write(
      Path dir,
      String family,
      Tokenizer tok,
      Attention a,
      long seed,
      String schedule,
      Map<String, String> familyMetadata)
      throws Exception {
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, a, 0.0);
    DitWeights w = RandomDit.weights(cfg, seed);
    ExportMetadata md =
        new ExportMetadata(
            family,
            ExportMetadata.GRAPH_FULL,
            cfg,
            12,
            schedule,
            tok.spec(),
            tok.state(),
            tok.specials(),
            Map.of("steps", 0),
            familyMetadata);
    OnnxExport.write(w, md, dir);
    int[] ids = tok.encode("not to be, q");
    float[] sigma = {0.7f};
    Logits ref = new ReferenceDit(w).forward(new TokenBatch(ids, 1, ids.length), sigma);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("tokens", ids);
    expected.put("batch", 1);
    expected.put("length", ids.length);
    expected.put("sigma", sigma);
    expected.put("logits", ref.values());
    new ObjectMapper().writeValue(dir.resolve("expected.json").toFile(), expected);
  }
}
