package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.MemoryCheck;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external-data path of models over 2 GB, forced on a tiny model by a threshold of 0 bytes, and
 * the runtime's up-front memory check.
 */
class ExternalDataExportTest {
  @TempDir Path tmp;

  @Test
  void weightsGoToOneSharedFileAndTheRuntimeLoadsThem() throws Exception {
    DitConfig cfg = RandomDit.config(260, Attention.CAUSAL);
    DitWeights w = RandomDit.weights(cfg, 21);
    Path inline = tmp.resolve("inline");
    Path ext = tmp.resolve("external");
    OnnxExport.write(w, TestModels.metadata("ar", cfg, 16), inline, Map.of(), Long.MAX_VALUE);
    OnnxExport.Report r = OnnxExport.write(w, TestModels.metadata("ar", cfg, 16), ext, Map.of(), 0);
    Path data = ext.resolve(ExportMetadata.EXTERNAL_DATA_FILE);
    assertFalse(Files.exists(inline.resolve(ExportMetadata.EXTERNAL_DATA_FILE)));
    long paramBytes = 4 * DitLayout.totalParams(cfg);
    // the decode graph reuses the full graph's weights: one copy (and at most the few
    // transposed or reshaped initializers each graph adds), not two
    assertTrue(Files.size(data) >= paramBytes * 0.9 && Files.size(data) < paramBytes * 1.5);
    assertEquals(Files.size(data), ((Map<?, ?>) r.summary().get("external_data")).get("bytes"));
    for (String g : List.of(ExportMetadata.FULL_FILE, ExportMetadata.DECODE_FILE)) {
      assertTrue(Files.size(ext.resolve(g)) < Files.size(inline.resolve(g)) / 4, g);
    }
    TokenBatch tb = ImportParityTest.tokens(260, 2, 8, 3);
    Logits want = new ReferenceDit(w).forward(tb, null);
    try (OnnxModel m = OnnxModel.open(ext, OrtConfig.defaults())) {
      assertTrue(m.denoiser().hasDecodeGraph());
      assertTrue(
          ExportParityTest.maxAbsDiff(m.denoiser().forward(tb, null).values(), want.values())
              <= 1e-4);
    }
  }

  @Test
  void theMemoryCheckCountsTheWeightsOncePerGraphAndSaysWhenTheyDoNotFit() throws Exception {
    DitConfig cfg = RandomDit.config(260, Attention.CAUSAL);
    Path ext = tmp.resolve("external");
    OnnxExport.write(
        RandomDit.weights(cfg, 2), TestModels.metadata("ar", cfg, 16), ext, Map.of(), 0);
    List<Path> graphs =
        List.of(ext.resolve(ExportMetadata.FULL_FILE), ext.resolve(ExportMetadata.DECODE_FILE));
    long need =
        Files.size(graphs.get(0))
            + Files.size(graphs.get(1))
            + 2 * Files.size(ext.resolve(ExportMetadata.EXTERNAL_DATA_FILE));
    assertEquals(need, MemoryCheck.neededBytes(ext, graphs));
    assertDoesNotThrow(() -> MemoryCheck.check(ext, graphs, need));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> MemoryCheck.check(ext, graphs, need - 1));
    assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains(ext.toString()));
  }
}
