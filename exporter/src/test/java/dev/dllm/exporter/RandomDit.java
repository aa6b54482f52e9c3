package dev.dllm.exporter;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random, non-zero DiT weights for parity tests: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for matrices
 * and biases, 1 + U(-0.2, 0.2) for LayerNorm weights, and non-zero adaLN layers (unlike the
 * reference zero init) so that every branch of the graph is exercised.
 */
final class RandomDit {
  private RandomDit() {}

  static DitConfig config(int vocab, BackboneSpec.Attention attention) {
    return new DitConfig(vocab, 32, 2, 2, 16, attention, 0.0);
  }

  static DitWeights weights(DitConfig cfg, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int[] shape = e.getValue();
      int n = 1;
      for (int s : shape) {
        n *= s;
      }
      float[] data = new float[n];
      boolean norm = e.getKey().contains("norm");
      double bound = shape.length == 2 ? 1 / Math.sqrt(shape[1]) : 0.2;
      if (e.getKey().equals(DitLayout.EMBEDDING)) {
        bound = 1.0;
      }
      for (int i = 0; i < n; i++) {
        double u = (2 * r.nextDouble() - 1) * bound;
        data[i] = (float) (norm ? 1 + u : u);
      }
      m.put(e.getKey(), new Tensor(data, shape.clone()));
    }
    return new DitWeights(cfg, m);
  }
}
