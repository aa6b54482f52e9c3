package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.StoredRunConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A saved checkpoint exported and loaded back through the runtime only. */
class CheckpointExportTest {
  @TempDir Path tmp;

  @Test
  void checkpointExportIsSelfDescribingAndMatchesTheReference() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "hello, diffusion world");
    DitConfig cfg = RandomDit.config(tok.vocabSize(), Attention.CAUSAL);
    DitWeights w = RandomDit.weights(cfg, 9);
    Path ck = tmp.resolve("ck");
    Checkpoint.save(ck, w, Map.of(), Map.of("steps", 40, "seq_len", 32, "flops", 1.0e9), tok, "ar");
    OnnxExport.Report r = CheckpointExport.export(ck, tmp.resolve("ex"), 0);
    assertTrue(((Map<?, ?>) r.summary().get("files")).containsKey("decode.onnx"));
    try (OnnxModel m = OnnxModel.open(tmp.resolve("ex"), OrtConfig.defaults())) {
      assertEquals("ar", m.family().name());
      assertEquals(32, m.metadata().seqLen());
      assertEquals(40, ((Number) m.metadata().training().get("steps")).intValue());
      assertEquals(tok.specials(), m.metadata().specials());
      int[] ids = m.tokenizer().encode("hello world");
      TokenBatch tb = new TokenBatch(ids, 1, ids.length);
      Logits got = m.denoiser().forward(tb, null);
      Logits want = new ReferenceDit(w).forward(tb, null);
      assertTrue(ExportParityTest.maxAbsDiff(got.values(), want.values()) <= 1e-4);
    }
    assertThrows(
        InvalidInputException.class,
        () -> CheckpointExport.export(tmp.resolve("nope"), tmp.resolve("ex2"), 0));
  }

  /** Exports an MDLM checkpoint with {@code training} as its training state. */
  private Path export(String name, Map<String, Object> training) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "hello, diffusion world");
    DitConfig cfg = RandomDit.config(tok.vocabSize(), Attention.BIDIRECTIONAL);
    Path ck = tmp.resolve(name + "-ck");
    Checkpoint.save(ck, RandomDit.weights(cfg, 3), Map.of(), training, tok, "mdlm");
    CheckpointExport.export(ck, tmp.resolve(name), 0);
    return tmp.resolve(name);
  }

  @Test
  void theTrainingBlockModeIsRecordedAndDecidesTheBosBeforeAPrompt() throws Exception {
    Path wrap = export("wrap", Map.of("seq_len", 16, StoredRunConfig.KEY, Map.of("mode", "wrap")));
    Path pack = export("pack", Map.of("seq_len", 16, StoredRunConfig.KEY, Map.of("mode", "pack")));
    Path own = export("own", Map.of("seq_len", 16, "block_mode", "Window"));
    Path old = export("old", Map.of("seq_len", 16));
    GenerateOptions o =
        GenerateOptions.defaults().withSteps(2).withPrompt("hello").withMaxNewTokens(3);
    try (DllmGenerator g = DllmGenerator.open(wrap)) {
      assertEquals("wrap", g.model().metadata().training().get("block_mode"));
      assertEquals("wrap", g.model().metadata().blockMode());
      int bos = g.model().metadata().specials().bos();
      assertTrue(bos >= 0);
      Generated r = g.generate(o).get(0);
      assertEquals(6, r.promptLength());
      assertEquals(bos, r.ids()[0]);
      assertArrayEquals(g.tokenizer().encode("hello"), Arrays.copyOfRange(r.ids(), 1, 6));
      assertEquals(3, r.generated().length);
      // forced off
      assertEquals(5, g.generate(o.withBos(false)).get(0).promptLength());
    }
    try (DllmGenerator g = DllmGenerator.open(pack)) {
      assertEquals("pack", g.model().metadata().blockMode());
      Generated r = g.generate(o).get(0);
      assertEquals(5, r.promptLength());
      assertArrayEquals(g.tokenizer().encode("hello"), Arrays.copyOf(r.ids(), 5));
    }
    try (OnnxModel m = OnnxModel.open(own, OrtConfig.defaults())) {
      assertEquals("window", m.metadata().blockMode());
    }
    try (OnnxModel m = OnnxModel.open(old, OrtConfig.defaults())) {
      assertNull(m.metadata().blockMode());
      assertFalse(m.metadata().training().containsKey("block_mode"));
    }
    assertNull(CheckpointExport.blockMode(Map.of("block_mode", "zigzag")));
  }
}
