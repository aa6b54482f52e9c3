package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.runtime.onnx.OnnxDenoiser;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitModel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ONNX Runtime logits of the exported graph vs the float64 {@link ReferenceDit} and the DJL {@link
 * DitModel} on the same random non-zero weights, at shapes (1, 5), (3, 16) and (2, 23) for a model
 * whose metadata says it was trained at L = 16; sigma != 0.
 */
class ExportParityTest {
  static final double TOL = 1e-4;

  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(
      value = Attention.class,
      names = {"BIDIRECTIONAL", "CAUSAL"})
  void onnxMatchesReferenceAndDjl(Attention attention) throws Exception {
    DitConfig cfg = RandomDit.config(37, attention);
    DitWeights w = RandomDit.weights(cfg, 11);
    Path out = tmp.resolve("export");
    OnnxExport.write(w, TestModels.metadata("mdlm", cfg, 16), out);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    ReferenceDit ref = new ReferenceDit(w);
    try (NDManager manager = NDManager.newBaseManager();
        DitModel djl = DitModel.fromWeights(manager, w);
        OnnxDenoiser onnx =
            new OnnxDenoiser(
                env,
                OnnxSessions.open(env, out.resolve("model.onnx"), OrtConfig.defaults()).session(),
                null,
                TestModels.metadata("mdlm", cfg, 16))) {
      int[][] shapes = {{1, 5}, {3, 16}, {2, 23}};
      SplittableRandom r = new SplittableRandom(5);
      for (int[] bl : shapes) {
        TokenBatch tokens = randomTokens(r, bl[0], bl[1], cfg.vocabSize());
        float[] sigma = new float[bl[0]];
        for (int i = 0; i < sigma.length; i++) {
          sigma[i] = (float) (0.3 + 2 * r.nextDouble());
        }
        Logits got = onnx.forward(tokens, sigma);
        Logits want = ref.forward(tokens, sigma);
        double diffRef = maxAbsDiff(got.values(), want.values());
        assertTrue(
            diffRef <= TOL, attention + " " + bl[0] + "x" + bl[1] + " vs reference: " + diffRef);
        float[] djlLogits = djlForward(manager, djl, tokens, sigma);
        double diffDjl = maxAbsDiff(got.values(), djlLogits);
        assertTrue(diffDjl <= TOL, attention + " " + bl[0] + "x" + bl[1] + " vs DJL: " + diffDjl);
        // the comparison is not vacuous: logits vary
        assertTrue(spread(want.values()) > 0.1, "logits should not be constant");
      }
    }
  }

  static float[] djlForward(NDManager m, DitModel model, TokenBatch tokens, float[] sigma) {
    try (NDManager sub = m.newSubManager()) {
      long[] ids = new long[tokens.ids().length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = tokens.ids()[i];
      }
      NDArray t = sub.create(ids, new Shape(tokens.batch(), tokens.length()));
      NDArray s = sub.create(sigma);
      return model.forward(t, s).toFloatArray();
    }
  }

  static TokenBatch randomTokens(SplittableRandom r, int b, int l, int vocab) {
    int[] ids = new int[b * l];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(vocab);
    }
    return new TokenBatch(ids, b, l);
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  static double spread(float[] a) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (float v : a) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi - lo;
  }
}
