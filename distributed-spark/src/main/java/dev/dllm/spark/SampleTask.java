package dev.dllm.spark;

import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.eval.run.SampleChunks;
import dev.dllm.runtime.onnx.OnnxModel;
import org.apache.spark.api.java.function.Function;

/**
 * One Spark task of eval or pareto: draws one unit of B samples ({@link SampleChunks#sample}, after
 * a warm-up row) on the executor's cached session of the export ({@link ExportCache}) and scores it
 * ({@link SampleChunks#score}) when the unit names a scorer.
 */
final class SampleTask implements Function<SampleChunks.Task, SampleChunks.Result> {
  private static final long serialVersionUID = 1L;

  @Override
  public SampleChunks.Result call(SampleChunks.Task t) {
    OnnxModel model = ExportCache.model(t.model(), t.ort());
    SampleChunks.Result r = SampleChunks.sample(t, model, true);
    if (t.scorer() != null) {
      r =
          SampleChunks.score(
              r,
              ExportCache.scorer(t.scorer(), t.ort(), t.batch()),
              model.tokenizer(),
              ProgressReporter.NONE);
    }
    return r;
  }
}
