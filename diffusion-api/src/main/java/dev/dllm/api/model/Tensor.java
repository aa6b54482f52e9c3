package dev.dllm.api.model;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order, PyTorch layout (linear weights are {@code [out, in]}).
 *
 * @param data values, row-major
 * @param shape dimensions
 */
public record Tensor(float[] data, int[] shape) {
  public Tensor {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }

  /** Number of elements. */
  public int size() {
    return data.length;
  }
}
