package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxDenoiser;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AR decode graph with a KV cache vs the full causal forward on the growing prefix. */
class KvDecodeTest {
  @TempDir Path tmp;

  @Test
  void greedyDecodeWithCacheMatchesFullForward() throws Exception {
    DitConfig cfg = RandomDit.config(29, Attention.CAUSAL);
    DitWeights w = RandomDit.weights(cfg, 3);
    ExportMetadata md = TestModels.metadata("ar", cfg, 16);
    OnnxExport.write(w, md, tmp.resolve("ar"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtConfig oc = OrtConfig.defaults();
    int batch = 2;
    int steps = 32;
    try (OnnxDenoiser den =
            new OnnxDenoiser(
                env,
                OnnxSessions.open(env, tmp.resolve("ar/model.onnx"), oc).session(),
                OnnxSessions.open(env, tmp.resolve("ar/decode.onnx"), oc).session(),
                md);
        KvCacheDecoder dec = den.kvCacheDecoder(batch).orElseThrow()) {
      int[][] seqCache = new int[batch][steps + 1];
      int[][] seqFull = new int[batch][steps + 1];
      for (int b = 0; b < batch; b++) {
        seqCache[b][0] = 1 + 5 * b;
        seqFull[b][0] = 1 + 5 * b;
      }
      double worst = 0;
      for (int i = 0; i < steps; i++) {
        int[] feed = new int[batch];
        for (int b = 0; b < batch; b++) {
          feed[b] = seqCache[b][i];
        }
        Logits cached = dec.next(feed);
        int[] prefix = new int[batch * (i + 1)];
        for (int b = 0; b < batch; b++) {
          System.arraycopy(seqFull[b], 0, prefix, b * (i + 1), i + 1);
        }
        Logits full = den.forward(new TokenBatch(prefix, batch, i + 1), null);
        for (int b = 0; b < batch; b++) {
          int off = full.offset(b, i);
          float[] last = java.util.Arrays.copyOfRange(full.values(), off, off + cfg.vocabSize());
          float[] inc =
              java.util.Arrays.copyOfRange(
                  cached.values(), b * cfg.vocabSize(), (b + 1) * cfg.vocabSize());
          worst = Math.max(worst, ExportParityTest.maxAbsDiff(last, inc));
          seqCache[b][i + 1] = argmax(inc);
          seqFull[b][i + 1] = argmax(last);
        }
      }
      assertTrue(worst <= 1e-4, "cached vs full logits differ by " + worst);
      for (int b = 0; b < batch; b++) {
        assertArrayEquals(seqFull[b], seqCache[b], "greedy tokens of row " + b);
      }
      assertTrue(dec.position() == steps);
    }
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
