package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.imports.CheckpointImport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm import} of synthetic folders laid out like each release: imported → exported logits
 * equal the float64 reference forward ({@link ReferenceDit}) on the release's own weights.
 */
class ImportParityTest {
  @TempDir Path tmp;

  static final int BYTE_V = 260;

  static DitConfig tiny(int vocab, Attention a) {
    return new DitConfig(vocab, 32, 2, 2, 16, a, 0.0);
  }

  static TokenBatch tokens(int vocab, int batch, int length, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] ids = new int[batch * length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(vocab);
    }
    return new TokenBatch(ids, batch, length);
  }

  /** Max |ONNX(export of the import) − float64 reference(release weights)|. */
  private double exportedVsReference(Path ck, DitWeights release, float[] sigma, long seed)
      throws Exception {
    Path ex = tmp.resolve(ck.getFileName() + "-onnx");
    CheckpointExport.export(ck, ex, 0);
    TokenBatch tb = tokens(release.config().vocabSize(), sigma == null ? 2 : sigma.length, 8, seed);
    AttentionLayout layout = null;
    if (release.config().attention() == Attention.SORTED_CAUSAL) {
      // Eso-LM: a per-row order (reversed in row 1), as its sampler passes it
      int[] pos = new int[tb.batch() * tb.length()];
      for (int i = 0; i < pos.length; i++) {
        int l = i % tb.length();
        pos[i] = i / tb.length() == 1 ? tb.length() - 1 - l : l;
      }
      layout = AttentionLayout.sortedCausal(pos, tb.batch(), tb.length());
    }
    try (OnnxModel m = OnnxModel.open(ex, OrtConfig.defaults())) {
      Logits got = m.denoiser().forward(tb, sigma, layout);
      Logits want = new ReferenceDit(release).forward(tb, sigma, layout);
      return ExportParityTest.maxAbsDiff(got.values(), want.values());
    }
  }

  private static CheckpointImport.Options opts(
      Path from, String family, String tok, boolean ema, Path out) {
    return new CheckpointImport.Options(from, family, tok, ema, null, null, out);
  }

  static String sha256(Path f) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
  }

  @Test
  void mdlmOwtSafetensorsImportWithGpt2AndMatchTheReference() throws Exception {
    DitWeights w = RandomDit.weights(tiny(50258, Attention.BIDIRECTIONAL), 1);
    Path rel = PublishedFolders.hfRelease(tmp.resolve("mdlm-owt"), w, 16, false);
    Path ck = tmp.resolve("mdlm-ck");
    CheckpointImport.Report r = CheckpointImport.run(opts(rel, "mdlm", null, false, ck));
    assertEquals("gpt2", r.tokenizer().spec());
    assertEquals("apache-2.0", r.record().get("license"));
    assertEquals(
        Map.of("model.safetensors", sha256(rel.resolve("model.safetensors"))),
        r.record().get("sha256"));
    assertEquals(java.util.List.of("backbone.rotary_emb.inv_freq"), r.plan().dropped());
    Checkpoint.Loaded loaded = Checkpoint.load(ck);
    assertEquals(16, ((Number) loaded.trainingState().get("seq_len")).intValue());
    assertTrue(exportedVsReference(ck, w, null, 5) <= 1e-4);
  }

  @Test
  void duoSafetensorsAreTimeConditioned() throws Exception {
    DitWeights w = RandomDit.weights(tiny(BYTE_V, Attention.BIDIRECTIONAL), 2);
    Path rel = PublishedFolders.hfRelease(tmp.resolve("duo"), w, 16, true);
    Path ck = tmp.resolve("duo-ck");
    CheckpointImport.run(opts(rel, "duo", "byte", false, ck));
    assertTrue(exportedVsReference(ck, w, new float[] {0.7f, 2.5f}, 6) <= 1e-4);
  }

  @Test
  void lightningCkptTakesTheStateDictOrWithEmaTheShadowWeights() throws Exception {
    DitConfig cfg = tiny(BYTE_V, Attention.SORTED_CAUSAL);
    DitWeights live = RandomDit.weights(cfg, 3);
    DitWeights shadow = RandomDit.weights(cfg, 4);
    Map<String, Object> hp =
        Map.of(
            "model",
                Map.of(
                    "hidden_size", 32, "n_blocks", 2, "n_heads", 2, "cond_dim", 16, "length", 16),
            "algo", Map.of("name", "esolm", "time_conditioning", false, "causal_attention", false));
    Path ckpt =
        PublishedFolders.lightning(tmp.resolve("eso/last.ckpt"), live, shadow, hp, Map.of());
    Path emaCk = tmp.resolve("eso-ema");
    CheckpointImport.Report r =
        CheckpointImport.run(opts(tmp.resolve("eso"), "esolm", "byte", true, emaCk));
    assertEquals("lightning ckpt (ema)", r.record().get("layout"));
    assertEquals(1, r.record().get("ignored_entries")); // noise.sigma_max
    assertTrue(exportedVsReference(emaCk, shadow, null, 7) <= 1e-4);
    Path liveCk = tmp.resolve("eso-live");
    CheckpointImport.run(opts(ckpt, "esolm", "byte", false, liveCk));
    assertTrue(exportedVsReference(liveCk, live, null, 7) <= 1e-4);
    assertFalse(exportedVsReference(liveCk, shadow, null, 7) <= 1e-4);
  }

  @Test
  void sdllmHubMixinSaveImportsAsACausalModel() throws Exception {
    DitWeights w = RandomDit.weights(tiny(BYTE_V, Attention.CAUSAL), 8);
    Path rel = PublishedFolders.hubMixinRelease(tmp.resolve("sdllm-ar"), w, 32, true);
    Path ck = tmp.resolve("sdllm-ck");
    CheckpointImport.Report r = CheckpointImport.run(opts(rel, "ar", "byte", false, ck));
    assertEquals("cc-by-nc-4.0", r.record().get("license"));
    assertEquals(32, r.plan().length());
    assertTrue(exportedVsReference(ck, w, null, 9) <= 1e-4);
  }
}
