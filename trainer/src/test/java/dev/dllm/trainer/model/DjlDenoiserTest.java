package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import org.junit.jupiter.api.Test;

class DjlDenoiserTest {
  @Test
  void matchesReferenceThroughTheDenoiserInterface() {
    DitConfig cfg = new DitConfig(19, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.3);
    DitWeights w = DitInit.random(cfg, 8, 0.25);
    int[] ids = {0, 5, 18, 3, 3, 7, 1, 2, 9, 11, 12, 4};
    TokenBatch t = new TokenBatch(ids, 2, 6);
    float[] sigma = {0.25f, 3f};
    Logits expected = new ReferenceDit(w).forward(t, sigma);
    try (NDManager m = NDManager.newBaseManager();
        DjlDenoiser d = new DjlDenoiser(DitModel.fromWeights(m, w), true)) {
      d.model().setTraining(true); // dropout 0.3 must be off inside forward
      Logits got = d.forward(t, sigma);
      assertTrue(d.model().isTraining());
      assertEquals(19, d.vocabSize());
      double max = 0;
      for (int i = 0; i < got.values().length; i++) {
        max = Math.max(max, Math.abs(got.values()[i] - expected.values()[i]));
      }
      assertTrue(max <= 1e-4, "max abs diff " + max);
      assertThrows(
          IllegalArgumentException.class,
          () -> d.forward(new TokenBatch(new int[] {19}, 1, 1), null));
    }
  }
}
