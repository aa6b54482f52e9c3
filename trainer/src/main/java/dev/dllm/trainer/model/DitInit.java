package dev.dllm.trainer.model;

import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The reference initialisation of the DiT (spec §7.1–7.3), computed in Java from a seed so it is
 * reproducible on any engine: token embedding U(±1/√d) (kaiming-uniform, a = √5, fan_in = d); every
 * linear weight and bias U(±1/√fan_in) (PyTorch default); LayerNorm weights 1; the block and final
 * adaLN modulation and the output linear (weight and bias) zero.
 */
public final class DitInit {
  private DitInit() {}

  /** Reference initial weights for {@code cfg}. */
  public static DitWeights reference(DitConfig cfg, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    Map<String, int[]> shapes = DitLayout.shapes(cfg);
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      String name = e.getKey();
      int[] shape = e.getValue();
      float[] data = new float[numel(shape)];
      if (name.endsWith("norm1.weight")
          || name.endsWith("norm2.weight")
          || name.endsWith("norm_final.weight")) {
        java.util.Arrays.fill(data, 1f);
      } else if (name.contains("adaLN_modulation") || name.startsWith("output_layer.linear")) {
        // zero init (adaLN-Zero and the output head)
      } else if (name.equals(DitLayout.EMBEDDING)) {
        fillUniform(data, 1.0 / Math.sqrt(cfg.hidden()), rng);
      } else {
        // Linear: weight [out, in] and bias [out], both U(±1/sqrt(in)).
        int fanIn = shapes.get(name.replace(".bias", ".weight"))[1];
        fillUniform(data, 1.0 / Math.sqrt(fanIn), rng);
      }
      out.put(name, new Tensor(data, shape));
    }
    return new DitWeights(cfg, out);
  }

  /**
   * Every tensor U(±scale) (norm weights 1 + U(±scale)): a non-degenerate weight set for tests
   * where the zero init would make outputs trivially constant.
   */
  public static DitWeights random(DitConfig cfg, long seed, double scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      float[] data = new float[numel(e.getValue())];
      fillUniform(data, scale, rng);
      if (e.getKey().endsWith("norm1.weight")
          || e.getKey().endsWith("norm2.weight")
          || e.getKey().endsWith("norm_final.weight")) {
        for (int i = 0; i < data.length; i++) {
          data[i] += 1f;
        }
      }
      out.put(e.getKey(), new Tensor(data, e.getValue()));
    }
    return new DitWeights(cfg, out);
  }

  static int numel(int[] shape) {
    long n = 1;
    for (int s : shape) {
      n *= s;
    }
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensor too large: " + n + " elements");
    }
    return (int) n;
  }

  private static void fillUniform(float[] data, double bound, SplittableRandom rng) {
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    }
  }
}
