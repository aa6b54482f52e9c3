package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.model.Tensor;

/** Copies between DJL arrays and the engine-free {@link Tensor} (float32, row-major). */
public final class Tensors {
  private Tensors() {}

  /** A float32 copy of {@code a}. */
  public static Tensor toTensor(NDArray a) {
    float[] data =
        a.getDataType() == DataType.FLOAT32
            ? a.toFloatArray()
            : a.toType(DataType.FLOAT32, false).toFloatArray();
    long[] s = a.getShape().getShape();
    int[] shape = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      shape[i] = Math.toIntExact(s[i]);
    }
    return new Tensor(data, shape);
  }

  /** A float32 array in {@code manager} holding the values of {@code t}. */
  public static NDArray toNDArray(NDManager manager, Tensor t) {
    long[] shape = new long[t.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.shape()[i];
    }
    return manager.create(t.data(), new Shape(shape));
  }
}
