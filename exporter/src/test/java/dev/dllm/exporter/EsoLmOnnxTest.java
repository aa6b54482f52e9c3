package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.family.esolm.EsoLmFamily;
import dev.dllm.family.esolm.EsoLmSampler;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxDenoiser;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sorted-causal (Eso-LM) export: full graph with positions vs the float64 reference and the DJL
 * DiT for random orders, and KV-cached sampling through the decode graph vs the full graph (spec
 * §4.4).
 */
class EsoLmOnnxTest {
  private static final double TOL = 1e-4;

  @TempDir Path tmp;

  private OnnxDenoiser open(DitWeights w, ExportMetadata md) throws Exception {
    OnnxExport.write(w, md, tmp.resolve("eso"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtConfig oc = OrtConfig.defaults();
    return new OnnxDenoiser(
        env,
        OnnxSessions.open(env, tmp.resolve("eso/model.onnx"), oc).session(),
        OnnxSessions.open(env, tmp.resolve("eso/decode.onnx"), oc).session(),
        md);
  }

  @Test
  void sortedCausalGraphMatchesTheReferenceAndCachedSamplingIsExact() throws Exception {
    DitConfig cfg = RandomDit.config(13, Attention.SORTED_CAUSAL);
    DitWeights w = RandomDit.weights(cfg, 5);
    ReferenceDit ref = new ReferenceDit(w);
    SpecialTokens specials = new SpecialTokens(-1, -1, -1, cfg.vocabSize() - 1);
    try (OnnxDenoiser onnx = open(w, TestModels.metadata("esolm", cfg, 16))) {
      assertTrue(onnx.supportsLayout());
      assertFalse(onnx.kvCacheDecoder(1).isPresent()); // not an AR decode graph
      // 1. random orders: ONNX full graph vs float64 reference
      SplittableRandom r = new SplittableRandom(3);
      int batch = 2;
      int len = 11;
      for (int trial = 0; trial < 3; trial++) {
        int[] ids = new int[batch * len];
        int[] pos = new int[batch * len];
        for (int b = 0; b < batch; b++) {
          int[] perm = new int[len];
          for (int i = 0; i < len; i++) {
            perm[i] = i;
          }
          for (int i = len - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
          }
          for (int i = 0; i < len; i++) {
            ids[b * len + i] = r.nextInt(cfg.vocabSize());
            pos[b * len + i] = perm[i];
          }
        }
        TokenBatch tokens = new TokenBatch(ids, batch, len);
        AttentionLayout layout = AttentionLayout.sortedCausal(pos, batch, len);
        Logits got = onnx.forward(tokens, null, layout);
        Logits want = ref.forward(tokens, null, layout);
        double diff = ExportParityTest.maxAbsDiff(got.values(), want.values());
        assertTrue(diff <= TOL, "sorted-causal ONNX vs reference: " + diff);
        float[] djl = djlSortedForward(w, ids, pos, batch, len);
        double diffDjl = ExportParityTest.maxAbsDiff(got.values(), djl);
        assertTrue(diffDjl <= TOL, "sorted-causal ONNX vs DJL: " + diffDjl);
      }
      // 2. KV-cached sampling through the decode graph vs the full graph, same seed
      for (double alpha0 : new double[] {1.0, 0.5}) {
        List<float[]> cached = new ArrayList<>();
        List<float[]> full = new ArrayList<>();
        List<float[]> oracle = new ArrayList<>();
        SampleBatch a = sampler(alpha0, true, cached).sample(onnx, 2, 16, specials, new Rng(4));
        SampleBatch b = sampler(alpha0, false, full).sample(onnx, 2, 16, specials, new Rng(4));
        sampler(alpha0, false, oracle).sample(ref, 2, 16, specials, new Rng(4));
        assertArrayEquals(b.tokens().ids(), a.tokens().ids());
        assertEquals(b.nfe(), a.nfe());
        assertEquals(full.size(), cached.size());
        for (int i = 0; i < cached.size(); i++) {
          double d = ExportParityTest.maxAbsDiff(cached.get(i), full.get(i));
          assertTrue(d <= TOL, "alpha_0 " + alpha0 + " step " + i + ": cached vs full " + d);
        }
        // the first step sees no sampled token yet, so it must match the float64 oracle too
        double d0 = ExportParityTest.maxAbsDiff(cached.get(0), oracle.get(0));
        assertTrue(d0 <= TOL, "first step vs reference: " + d0);
      }
    }
  }

  /** The trainer's DJL DiT with explicit positions and its own sorted-causal (causal) mask. */
  private static float[] djlSortedForward(DitWeights w, int[] ids, int[] pos, int batch, int len) {
    long[] li = new long[ids.length];
    long[] lp = new long[pos.length];
    for (int i = 0; i < ids.length; i++) {
      li[i] = ids[i];
      lp[i] = pos[i];
    }
    try (NDManager m = NDManager.newBaseManager();
        DitModel model = DitModel.fromWeights(m, w)) {
      return model
          .forward(
              m.create(li, new Shape(batch, len)), null, m.create(lp, new Shape(batch, len)), null)
          .toFloatArray();
    }
  }

  private static EsoLmSampler sampler(double alpha0, boolean cache, List<float[]> sink) {
    return ((EsoLmSampler)
            new EsoLmFamily(alpha0, 0.5)
                .newSampler(new SamplerSpec(6, 1.0, Map.of("kv_cache", Boolean.toString(cache)))))
        .listener((i, l) -> sink.add(l));
  }
}
