package dev.dllm.exporter;

import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.util.Map;

/** Metadata for test exports. */
final class TestModels {
  private TestModels() {}

  static ExportMetadata metadata(String family, DitConfig cfg, int seqLen) {
    return new ExportMetadata(
        family,
        ExportMetadata.GRAPH_FULL,
        cfg,
        seqLen,
        "{\"name\":\"log-linear\"}",
        "byte",
        Map.of(),
        new SpecialTokens(1, 2, -1, cfg.vocabSize() - 1),
        Map.of("steps", 10, "tokens", 1000L, "val_nll", 3.25),
        Map.of());
  }
}
