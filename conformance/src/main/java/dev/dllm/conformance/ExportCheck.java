package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Checks 3 and 5 of {@link FamilyConformanceTestCase}: ONNX logits equal DJL logits ({@link
 * FamilyConformanceTestCase#onnxLogitsEqualDjlLogits}) and the export metadata round-trips ({@link
 * FamilyConformanceTestCase#exportMetadataRoundTrips}).
 */
final class ExportCheck {
  private final Fixture f;
  private final DiffusionFamily family;
  private final String familyName;

  ExportCheck(Fixture f, DiffusionFamily family, String familyName) {
    this.f = f;
    this.family = family;
    this.familyName = familyName;
  }

  /** ONNX logits = DJL logits (dynamic batch and length; per-row sigma if timed). */
  void onnxLogitsEqualDjlLogits() {
    boolean timed = family.backbone().timeConditioned();
    int b = f.tiny.batch();
    int l = f.tiny.length();
    SplittableRandom r = new SplittableRandom(5);
    try (OnnxModel onnx = OnnxModel.open(f.export(), OrtConfig.defaults());
        NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel model = DitModel.fromWeights(root, f.weights);
        DjlDenoiser djl = new DjlDenoiser(model)) {
      for (int[] shape : new int[][] {{1, 3}, {b, l}, {b + 1, l + 3}}) {
        TokenBatch tokens = f.anyTokens(r, shape[0], shape[1]);
        AttentionLayout layout = layout(shape[0], shape[1], r);
        float[] sigma = null;
        if (timed) {
          sigma = new float[shape[0]];
          for (int i = 0; i < sigma.length; i++) {
            sigma[i] = (float) (0.25 + 0.5 * i + r.nextDouble());
          }
        }
        Logits got = onnx.denoiser().forward(tokens, sigma, layout);
        float[] want = djl.forward(tokens, sigma, layout).values();
        String where = shape[0] + "x" + shape[1] + (layout == null ? "" : " sorted-causal");
        assertEquals(shape[0], got.batch(), where);
        assertEquals(shape[1], got.length(), where);
        assertEquals(f.config.vocabSize(), got.vocab(), where);
        double diff = Fixture.maxAbsDiff(got.values(), want);
        assertTrue(
            diff <= FamilyConformanceTestCase.LOGIT_TOLERANCE,
            where + ": max |ONNX - DJL| = " + diff);
        assertTrue(Fixture.spread(want) > 0.1, where + ": logits are constant; check is vacuous");
        if (timed) {
          float[] zero = onnx.denoiser().forward(tokens, new float[shape[0]], layout).values();
          assertTrue(
              Fixture.maxAbsDiff(got.values(), zero) > 1e-3,
              where + ": a time-conditioned backbone ignores sigma in the export");
        }
      }
    }
  }

  /**
   * The layout the family's own forward uses: none (the backbone's pattern, positions 0..L-1),
   * except for a sorted-causal backbone: causal over the fed order with the rotary positions of a
   * random permutation per row (Eso-LM, spec §4.3).
   */
  private AttentionLayout layout(int batch, int length, SplittableRandom r) {
    if (family.backbone().attention() != BackboneSpec.Attention.SORTED_CAUSAL) {
      return null;
    }
    int[] positions = new int[batch * length];
    for (int row = 0; row < batch; row++) {
      for (int i = 0; i < length; i++) {
        int j = r.nextInt(i + 1); // Fisher-Yates, inside-out
        positions[row * length + i] = positions[row * length + j];
        positions[row * length + j] = i;
      }
    }
    return AttentionLayout.sortedCausal(positions, batch, length);
  }

  /** Export metadata round-trips through checkpoint, export and open. */
  void exportMetadataRoundTrips() {
    ExportMetadata md;
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults())) {
      md = m.metadata();
    }
    assertEquals(familyName, md.family());
    assertEquals(f.config, md.model());
    assertEquals(f.tiny.length(), md.seqLen());
    assertEquals(family.schedule() == null ? "" : family.schedule().name(), md.schedule());
    assertEquals(f.tokenizer.specials(), md.specials());
    Tokenizer restored = Tokenizers.restore(md.tokenizerSpec(), md.tokenizerState());
    assertEquals(f.tokenizer.spec(), restored.spec());
    assertEquals(f.tokenizer.vocabSize(), restored.vocabSize());
    assertEquals(f.tokenizer.state(), restored.state());
    assertEquals(f.tokenizer.specials(), restored.specials());
    Map<String, String> own = new TreeMap<>(family.exportMetadata());
    assertEquals(familyName, own.getOrDefault("family", familyName), "exportMetadata family");
    own.remove("family");
    assertEquals(own, new TreeMap<>(md.familyMetadata()), "the family's exportMetadata()");
  }
}
