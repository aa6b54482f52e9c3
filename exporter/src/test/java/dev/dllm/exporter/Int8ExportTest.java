package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code export --quantize int8} end to end, for every family: each graph passes {@link
 * OnnxGraphCheck} with no fp32 weight MatMul left; the full graph's logits agree with the float64
 * {@link ReferenceDit} on the fp32 weights within the tolerance derived from the quantization steps
 * (below), and the runtime's sampler draws from the export, identically per seed and thread count.
 *
 * <p>Tolerance: one quantized MatMul is off by at most {@link Int8MatMulRewrite#RELATIVE_STEP} of
 * its output scale (half an int8 weight step plus half a uint8 activation step, first order); in a
 * residual network first-order errors add, so the logits may be off by {@code n_q · RELATIVE_STEP ·
 * max |logit|}, n_q the number of quantized MatMuls in the graph. The same bound holds between the
 * runtime's int8 logits and the float64 reference on the dequantized weights (W_q · scale,
 * quantized independently here), where only the activation step remains.
 */
class Int8ExportTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({"mdlm,BIDIRECTIONAL", "duo,BIDIRECTIONAL", "ar,CAUSAL", "esolm,SORTED_CAUSAL"})
  void int8ExportChecksAgreesWithFp32AndSamplesDeterministically(String family, Attention a)
      throws Exception {
    Tokenizer tok = Tokenizers.create("char", WriteRuntimeFixtures.SAMPLE);
    DitConfig cfg = new DitConfig(tok.vocabSize(), 32, 2, 2, 16, a, 0.0);
    DitWeights w = RandomDit.weights(cfg, 17);
    ExportMetadata md =
        new ExportMetadata(
            family,
            ExportMetadata.GRAPH_FULL,
            cfg,
            16,
            family.equals("ar") ? "" : "{\"name\":\"log-linear\"}",
            tok.spec(),
            tok.state(),
            tok.specials(),
            Map.of("steps", 0),
            Map.of());
    Path dir = tmp.resolve(family);
    OnnxExport.Report r = OnnxExport.write(w, md, dir, Map.of(), OnnxExport.Quantize.INT8);

    // 1. the report and every graph: checked, int8, no fp32 weight MatMul left
    assertEquals("int8", r.summary().get("quantize"));
    Map<?, ?> report =
        new ObjectMapper().readValue(dir.resolve("export-report.json").toFile(), Map.class);
    assertTrue(String.valueOf(report.get("model_hash")).endsWith("-int8"));
    List<String> graphs =
        a == Attention.CAUSAL ? List.of("model.onnx", "decode.onnx") : List.of("model.onnx");
    int quantized = 0;
    for (String g : graphs) {
      ModelProto m = ModelProto.parseFrom(Files.readAllBytes(dir.resolve(g)));
      assertEquals(List.of(), OnnxGraphCheck.problems(m), g);
      Map<String, TensorProto> inits = new LinkedHashMap<>();
      m.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
      int count = 0;
      for (NodeProto n : m.getGraph().getNodeList()) {
        if (n.getOpType().equals("MatMul")) {
          assertFalse(inits.containsKey(n.getInput(1)), g + ": fp32 weight MatMul " + n.getName());
        }
        if (n.getOpType().equals("MatMulInteger")) {
          assertEquals(TensorProto.DataType.INT8_VALUE, inits.get(n.getInput(1)).getDataType(), g);
          count++;
        }
      }
      assertTrue(
          m.getMetadataPropsList().stream()
              .anyMatch(
                  p ->
                      p.getKey().equals(ExportMetadata.QUANTIZE_KEY)
                          && p.getValue().equals("int8")),
          g);
      if (g.equals("model.onnx")) {
        quantized = count;
      }
    }
    // qkv, attn_out, mlp.0, mlp.2, adaLN per block; sigma_map (2), final adaLN and linear
    assertEquals(5 * cfg.blocks() + 4, quantized);

    // 2. logits vs float64 on fp32 weights and on the dequantized weights
    SplittableRandom rnd = new SplittableRandom(3);
    TokenBatch tokens = ExportParityTest.randomTokens(rnd, 2, 16, cfg.vocabSize());
    float[] sigma = {0.4f, 1.7f};
    AttentionLayout layout = null;
    if (a == Attention.SORTED_CAUSAL) { // Eso-LM: a random order per row, no sigma
      int[] pos = new int[2 * 16];
      for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 16; i++) {
          pos[b * 16 + i] = (i * (5 + 2 * b)) % 16; // a permutation (steps coprime to 16)
        }
      }
      layout = AttentionLayout.sortedCausal(pos, 2, 16);
      sigma = null;
    }
    float[] fp32 = new ReferenceDit(w).forward(tokens, sigma, layout).values();
    float[] dequant = new ReferenceDit(dequantized(w)).forward(tokens, sigma, layout).values();
    double tol = quantized * Int8MatMulRewrite.RELATIVE_STEP * maxAbs(fp32);
    try (OnnxModel model = OnnxModel.open(dir, OrtConfig.defaults().withThreads(1))) {
      Logits got = model.denoiser().forward(tokens, sigma, layout);
      double vsFp32 = ExportParityTest.maxAbsDiff(got.values(), fp32);
      double vsDequant = ExportParityTest.maxAbsDiff(got.values(), dequant);
      assertTrue(vsFp32 <= tol, family + ": |int8 - fp32| " + vsFp32 + " > " + tol);
      assertTrue(vsDequant <= tol, family + ": |int8 - dequantized| " + vsDequant + " > " + tol);
      assertTrue(vsFp32 > 1e-6, "int8 logits should differ from fp32 at all");
    }

    // 3. the family's sampler on the int8 export, per seed and thread count
    for (int threads : new int[] {1, 2}) {
      try (DllmGenerator g = DllmGenerator.open(dir, OrtConfig.defaults().withThreads(threads))) {
        List<Generated> first = g.generate(options(family, 5));
        List<Generated> again = g.generate(options(family, 5));
        List<Generated> other = g.generate(options(family, 6));
        assertEquals(3, first.size());
        boolean differs = false;
        for (int i = 0; i < first.size(); i++) {
          assertArrayEquals(first.get(i).ids(), again.get(i).ids(), family + " threads " + threads);
          differs |= !java.util.Arrays.equals(first.get(i).ids(), other.get(i).ids());
          for (int id : first.get(i).ids()) {
            assertTrue(id >= 0 && id < cfg.vocabSize());
          }
        }
        assertTrue(differs, family + ": another seed should give other samples");
      }
    }
  }

  private static GenerateOptions options(String family, long seed) {
    GenerateOptions o = GenerateOptions.defaults().withNumber(3).withBatch(2).withSeed(seed);
    return family.equals("ar") ? o : o.withSteps(6);
  }

  /** {@code w} with every 2-D matrix but the embedding replaced by its per-output-row int8 form. */
  static DitWeights dequantized(DitWeights w) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : w.tensors().entrySet()) {
      Tensor t = e.getValue();
      if (t.shape().length != 2 || !e.getKey().endsWith(".weight")) {
        m.put(e.getKey(), t);
        continue;
      }
      // PyTorch layout [out, in]: the ONNX MatMul's output channel is a row here
      int out = t.shape()[0];
      int in = t.shape()[1];
      float[] d = t.data().clone();
      for (int o = 0; o < out; o++) {
        float max = 0;
        for (int i = 0; i < in; i++) {
          max = Math.max(max, Math.abs(d[o * in + i]));
        }
        float scale = max == 0 ? 1f : max / 127f;
        for (int i = 0; i < in; i++) {
          float u = d[o * in + i] / scale;
          d[o * in + i] =
              (float) (Math.signum(u) * Math.min(127, Math.floor(Math.abs(u) + 0.5))) * scale;
        }
      }
      m.put(e.getKey(), new Tensor(d, t.shape().clone()));
    }
    return new DitWeights(w.config(), m);
  }

  private static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
