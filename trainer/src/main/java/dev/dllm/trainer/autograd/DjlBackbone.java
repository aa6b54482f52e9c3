package dev.dllm.trainer.autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.train.Backbone;
import dev.dllm.trainer.model.DitModel;

/**
 * The DJL {@link Backbone} of one micro-batch: arrays are created on the micro-batch's manager
 * (freed after its backward), scalars come from the model's {@link ConstantPool}, and the forward
 * is {@link DitModel}'s.
 */
public final class DjlBackbone implements Backbone<NDArray> {
  private final DitModel model;
  private final NDManager scope;
  private final Backbone<NDArray> teacher;

  /**
   * @param model the trainable network
   * @param scope the micro-batch's manager (closed by the caller after backward)
   * @param teacher a frozen network's backbone, or null when the run has none
   */
  public DjlBackbone(DitModel model, NDManager scope, Backbone<NDArray> teacher) {
    this.model = model;
    this.scope = scope;
    this.teacher = teacher;
  }

  @Override
  public int vocabSize() {
    return model.config().vocabSize();
  }

  @Override
  public NDArray ids(int[] ids, int batch, int length) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return scope.create(l, new Shape(batch, length));
  }

  @Override
  public NDArray floats(float[] values, long... shape) {
    return scope.create(values, new Shape(shape));
  }

  @Override
  public NDArray constant(double value) {
    return model.constant(value);
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma) {
    return model.forward(ids, sigma);
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma, NDArray positions, NDArray attnBias) {
    return model.forward(ids, sigma, positions, attnBias);
  }

  @Override
  public NDArray forwardSoft(NDArray weights, NDArray sigma) {
    return model.forwardSoft(weights, sigma);
  }

  @Override
  public Backbone<NDArray> teacher() {
    return teacher != null ? teacher : Backbone.super.teacher();
  }
}
