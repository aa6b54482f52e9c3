package dev.dllm.cli.bench;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.exporter.OnnxExport;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One timed sampler call (seed 42) of the shared-weights sections, the export they run on, and
 * temp-folder cleanup.
 */
final class SampleRuns {
  private SampleRuns() {}

  /**
   * One timed sampler call.
   *
   * @param tokens generated tokens over all rows (rows are longer than L with semi-AR strides)
   */
  record Run(double seconds, int nfe, long tokens) {
    Map<String, Object> toMap(int batch, int length) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seconds", seconds);
      m.put("nfe", nfe);
      m.put("tokens_per_second", tokens / seconds);
      return m;
    }
  }

  static Run sampleRun(
      DiffusionFamily family,
      SamplerSpec spec,
      Denoiser den,
      int batch,
      int length,
      SpecialTokens sp) {
    long t0 = System.nanoTime();
    SampleBatch s = family.newSampler(spec).sample(den, batch, length, sp, new Rng(42));
    return new Run((System.nanoTime() - t0) / 1e9, s.nfe(), s.tokens().ids().length);
  }

  /** Deletes {@code p} and everything under it. */
  static void deleteTree(Path p) throws java.io.IOException {
    try (var s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  /**
   * Exports {@code w} (fp32, with the current build's exporter) into {@code dir} and opens it.
   *
   * @param length the training length the metadata records
   */
  static OnnxModel export(
      DitWeights w, String family, Tokenizer tok, int length, Path dir, OrtConfig ort) {
    return export(w, family, tok, length, dir, ort, Map.of());
  }

  /** As above, with the family's own export metadata (e.g. Eso-LM's alpha_0). */
  static OnnxModel export(
      DitWeights w,
      String family,
      Tokenizer tok,
      int length,
      Path dir,
      OrtConfig ort,
      Map<String, String> familyMetadata) {
    ExportMetadata md =
        new ExportMetadata(
            family,
            ExportMetadata.GRAPH_FULL,
            w.config(),
            length,
            "",
            tok.spec(),
            tok.state(),
            tok.specials(),
            Map.of(),
            familyMetadata);
    OnnxExport.write(w, md, dir);
    return OnnxModel.open(dir, ort);
  }
}
