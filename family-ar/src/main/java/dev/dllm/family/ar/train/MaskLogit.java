package dev.dllm.family.ar.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Sets the mask logit to -1e6 in float32 on {@code [..., V]} logits (spec §5, §10.5). */
final class MaskLogit {
  private MaskLogit() {}

  static NDArray suppress(NDArray logits, int maskId) {
    NDArray x =
        logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    int vocab = (int) x.getShape().get(x.getShape().dimension() - 1);
    if (maskId < 0 || maskId >= vocab) {
      return x;
    }
    float[] keep = new float[vocab];
    float[] bias = new float[vocab];
    java.util.Arrays.fill(keep, 1f);
    keep[maskId] = 0f;
    bias[maskId] = -1e6f;
    NDManager manager = x.getManager();
    return x.mul(manager.create(keep)).add(manager.create(bias));
  }
}
