package dev.dllm.spark;

import dev.dllm.eval.run.SampleChunks;
import dev.dllm.eval.run.Scorer;
import dev.dllm.runtime.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The exports an executor JVM has open, one ONNX Runtime session per (export path, runtime
 * settings) for the JVM's lifetime, shared by every task it runs (sessions are thread-safe:
 * OnnxDenoiser), not one per task or partition. They are closed when the JVM ends.
 */
final class ExportCache {
  private static final Map<String, OnnxModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, Scorer> SCORERS = new ConcurrentHashMap<>();
  private static final AtomicInteger OPENED = new AtomicInteger();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ExportCache::closeAll, "dllm-export-cache"));
  }

  private ExportCache() {}

  /** The open model of {@code dir} with settings {@code ort}. */
  static OnnxModel model(String dir, SampleChunks.OrtSettings ort) {
    return MODELS.computeIfAbsent(
        dir + "|" + ort,
        k -> {
          OPENED.incrementAndGet();
          return OnnxModel.open(Path.of(dir), ort.config());
        });
  }

  /** The open scorer of {@code dir} with settings {@code ort}, {@code batch} chunks per pass. */
  static Scorer scorer(String dir, SampleChunks.OrtSettings ort, int batch) {
    return SCORERS.computeIfAbsent(
        dir + "|" + ort + "|" + batch,
        k -> {
          OPENED.incrementAndGet();
          return Scorer.open(Path.of(dir), ort.config(), batch);
        });
  }

  /** Exports opened in this JVM so far (models and scorers). */
  static int opened() {
    return OPENED.get();
  }

  private static void closeAll() {
    MODELS.values().forEach(OnnxModel::close);
    SCORERS.values().forEach(Scorer::close);
  }
}
