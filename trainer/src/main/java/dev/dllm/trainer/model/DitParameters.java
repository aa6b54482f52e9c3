package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link DitModel}'s parameters as {@link DitWeights} and back: every tensor of {@link
 * DitLayout#shapes} under its reference name, float32, checked by name and shape.
 */
final class DitParameters {
  private DitParameters() {}

  /**
   * Copies {@code w} into new arrays of {@code own}, in the canonical order of {@link
   * DitLayout#shapes}.
   *
   * @param trainable whether the arrays record gradients
   * @throws InvalidInputException naming the tensor when one is missing, unexpected or misshaped
   */
  static LinkedHashMap<String, NDArray> create(NDManager own, DitWeights w, boolean trainable) {
    LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(w.config()).entrySet()) {
      Tensor t = w.tensors().get(e.getKey());
      if (t == null) {
        throw new InvalidInputException("DiT weights: missing tensor '" + e.getKey() + "'");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new InvalidInputException(
            "DiT weights: tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(e.getValue()));
      }
      NDArray a = own.create(t.data(), shapeOf(t.shape()));
      a.setName(e.getKey());
      a.setRequiresGradient(trainable);
      params.put(e.getKey(), a);
    }
    for (String name : w.tensors().keySet()) {
      if (!params.containsKey(name)) {
        throw new InvalidInputException("DiT weights: unexpected tensor '" + name + "'");
      }
    }
    return params;
  }

  /** A float32 copy of {@code params} as weights of shape {@code cfg}. */
  static DitWeights toWeights(DitConfig cfg, Map<String, NDArray> params) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray a = e.getValue();
      out.put(e.getKey(), new Tensor(a.toFloatArray(), intShape(a.getShape())));
    }
    return new DitWeights(cfg, out);
  }

  /**
   * Copies {@code w} into {@code params} in place.
   *
   * @throws InvalidInputException naming the first tensor that is missing or misshaped
   */
  static void load(Map<String, NDArray> params, DitWeights w) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      Tensor t = w.tensors().get(e.getKey());
      if (t == null || !Arrays.equals(t.shape(), intShape(e.getValue().getShape()))) {
        throw new InvalidInputException("DiT weights: missing or misshaped '" + e.getKey() + "'");
      }
      e.getValue().set(t.data());
    }
  }

  private static Shape shapeOf(int[] shape) {
    long[] s = new long[shape.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = shape[i];
    }
    return new Shape(s);
  }

  private static int[] intShape(Shape s) {
    int[] out = new int[s.dimension()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.toIntExact(s.get(i));
    }
    return out;
  }
}
