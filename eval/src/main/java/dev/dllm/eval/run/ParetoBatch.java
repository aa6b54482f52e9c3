package dev.dllm.eval.run;

import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.MemoryCheck;
import dev.dllm.runtime.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch of a {@code dllm pareto} point. The paper measures every model's throughput at the
 * largest power-of-two batch that fits; {@code --batch max} ({@link #MAX}) does the same per model:
 * the largest power of two B &le; N (samples per point) whose sampler buffers fit, by the runtime's
 * own forward-memory estimate ({@link MemoryCheck#maxBatch}: logits, attention scores, activations,
 * plus the KV cache of an export with a decode graph) against {@link MemoryCheck#samplerBound}: the
 * 8 GiB per-call bound of {@code dllm sample}, or the memory available now less the export's
 * weights when that is smaller.
 */
final class ParetoBatch {
  private ParetoBatch() {}

  /** The {@code batch} value meaning {@code --batch max}. */
  static final int MAX = 0;

  /** Rows the scorer takes per call under {@link #MAX}. */
  static final int SCORER_BATCH = 16;

  /**
   * Rows per sampler call for {@code model} at sequence length {@code length}: {@code batch} (at
   * most {@code numSamples}), or under {@link #MAX} the largest power of two that fits.
   */
  static int of(int batch, int numSamples, OnnxModel model, int length) {
    if (batch != MAX) {
      return Math.min(batch, numSamples);
    }
    Path dir = model.directory();
    List<Path> graphs = new ArrayList<>();
    for (String f : new String[] {ExportMetadata.FULL_FILE, ExportMetadata.DECODE_FILE}) {
      if (Files.isRegularFile(dir.resolve(f))) {
        graphs.add(dir.resolve(f));
      }
    }
    long weights;
    try {
      weights = MemoryCheck.neededBytes(dir, graphs);
    } catch (IOException e) {
      weights = 0; // sizes unreadable: bound by the available memory alone
    }
    return MemoryCheck.maxBatch(
        model.metadata().model(),
        numSamples,
        length,
        model.denoiser().hasDecodeGraph(),
        MemoryCheck.samplerBound(MemoryCheck.availableBytes(), weights));
  }
}
