package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.nio.file.Path;
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
}
