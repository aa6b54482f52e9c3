package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.family.duo.DuoFamily;
import dev.dllm.runtime.onnx.OnnxDenoiser;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A time-conditioned Duo model: sigma is a real input of the exported graph, and ONNX Runtime
 * logits equal DJL's at per-row sigma = −log alpha_t ≠ 0 within 1e-4; the float64 Duo NELBO is the
 * same through either engine.
 */
class DuoExportParityTest {
  @TempDir Path tmp;

  @Test
  void onnxMatchesDjlAtPerRowSigma() throws Exception {
    DuoFamily duo = (DuoFamily) FamilyRegistry.load().get("duo");
    assertTrue(duo.backbone().timeConditioned());
    DitConfig cfg = RandomDit.config(29, Attention.BIDIRECTIONAL);
    DitWeights w = RandomDit.weights(cfg, 23);
    Path out = tmp.resolve("export");
    OnnxExport.write(w, TestModels.metadata("duo", cfg, 16), out);
    NoiseSchedule schedule = duo.schedule();
    double[] t = {0.02, 0.5, 0.999};
    float[] sigma = new float[t.length];
    for (int b = 0; b < t.length; b++) {
      sigma[b] = (float) schedule.sigma(t[b]);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (NDManager manager = NDManager.newBaseManager();
        DjlDenoiser djl = new DjlDenoiser(DitModel.fromWeights(manager, w), true);
        OnnxDenoiser onnx =
            new OnnxDenoiser(
                env,
                OnnxSessions.open(env, out.resolve("model.onnx"), OrtConfig.defaults()).session(),
                null,
                TestModels.metadata("duo", cfg, 16))) {
      TokenBatch tokens = ExportParityTest.randomTokens(new SplittableRandom(3), 3, 16, 29);
      Logits got = onnx.forward(tokens, sigma);
      Logits want = djl.forward(tokens, sigma);
      double diff = ExportParityTest.maxAbsDiff(got.values(), want.values());
      assertTrue(
          diff <= 1e-4, "ONNX vs DJL at sigma " + java.util.Arrays.toString(sigma) + ": " + diff);
      // sigma really conditions the graph: the same tokens at sigma = 0 give other logits
      Logits atZero = onnx.forward(tokens, new float[3]);
      assertTrue(
          ExportParityTest.maxAbsDiff(got.values(), atZero.values()) > 1e-3,
          "logits must depend on sigma");
      int[] x0 = tokens.ids();
      SpecialTokens specials = new SpecialTokens(1, 2, -1, 28);
      NllSum viaOnnx = duo.nelbo(onnx, x0, 3, 16, t, specials, new Rng(5));
      NllSum viaDjl = duo.nelbo(djl, x0, 3, 16, t, specials, new Rng(5));
      assertEquals(viaDjl.nll(), viaOnnx.nll(), 1e-4 * Math.abs(viaDjl.nll()));
    }
  }
}
