package dev.dllm.eval.run;

import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.runtime.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The points of {@link ParetoRun} (model × sampler setting × steps) and their sample units. */
final class ParetoPoints {
  private ParetoPoints() {}

  /** The sample units of the point at position {@code point}. */
  static List<SampleChunks.Task> tasks(
      ParetoRun.Options o, int point, Path dir, SamplerSpec spec, int len, int batch) {
    return SampleChunks.tasks(
        point,
        dir.toString(),
        o.ort(),
        spec,
        o.numSamples(),
        batch,
        len,
        o.seed(),
        o.scorer().toString());
  }

  /**
   * Every point's units, in the order {@link ParetoRun#run} meets the points, run by {@code
   * runner}.
   */
  static Map<Integer, List<SampleChunks.Result>> runAll(
      ParetoRun.Options o, SampleChunks.Runner runner) {
    List<SampleChunks.Task> all = new ArrayList<>();
    for (Path dir : o.models()) {
      try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
        int len = EvalRun.sampleLength(model);
        boolean causal = SampleChunks.causal(model);
        int batch = ParetoBatch.of(o.batch(), o.numSamples(), model, len);
        for (ParetoRun.Variant v : variants(o, model)) {
          for (int t : causal ? List.of(len - 1) : o.steps()) {
            SamplerSpec spec = new SamplerSpec(t, o.topP(), v.options());
            int point = all.isEmpty() ? 0 : all.get(all.size() - 1).point() + 1;
            all.addAll(tasks(o, point, dir, spec, len, batch));
          }
        }
      }
    }
    Map<Integer, List<SampleChunks.Result>> out = new TreeMap<>();
    for (SampleChunks.Result r : runner.run(all)) {
      out.computeIfAbsent(r.point(), k -> new ArrayList<>()).add(r);
    }
    return out;
  }

  /** The sampler settings of {@code model}: one for a causal family, else its variants. */
  static List<ParetoRun.Variant> variants(ParetoRun.Options o, OnnxModel model) {
    String fam = model.family().name();
    List<ParetoRun.Variant> vs = new ArrayList<>();
    if (SampleChunks.causal(model)) {
      vs.add(
          new ParetoRun.Variant(
              fam, model.denoiser().hasDecodeGraph() ? "kv_cache" : "default", Map.of()));
      return vs;
    }
    for (ParetoRun.Variant v : o.variants()) {
      if (v.family() == null || v.family().equals(fam)) {
        vs.add(v);
      }
    }
    if (vs.isEmpty()) {
      vs.add(new ParetoRun.Variant(fam, "default", Map.of()));
    }
    return vs;
  }
}
