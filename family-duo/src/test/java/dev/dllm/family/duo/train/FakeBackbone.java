package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.train.Backbone;

/**
 * A training backbone for the Duo objective tests: whatever its input, it returns the fixed logits
 * {@code values} as a fresh {@code [B, L, V]} array (the objective may close what it is given) and
 * records the last ids, sigma and soft weights fed; optionally with a frozen teacher.
 */
final class FakeBackbone implements Backbone<NDArray> {
  final NDManager m;
  final float[] values;
  final int vocab;
  final FakeBackbone teacher;
  long[] fedIds;
  float[] fedSigma;
  float[] fedWeights;

  /** Without a teacher. */
  FakeBackbone(NDManager m, float[] values, int vocab) {
    this(m, values, vocab, null);
  }

  FakeBackbone(NDManager m, float[] values, int vocab, FakeBackbone teacher) {
    this.m = m;
    this.values = values;
    this.vocab = vocab;
    this.teacher = teacher;
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  @Override
  public NDArray ids(int[] ids, int batch, int length) {
    long[] l = new long[ids.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = ids[i];
    }
    return m.create(l, new Shape(batch, length));
  }

  @Override
  public NDArray floats(float[] v, long... shape) {
    return m.create(v, new Shape(shape));
  }

  @Override
  public NDArray constant(double value) {
    return m.create((float) value);
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma) {
    fedIds = ids.toLongArray();
    fedSigma = sigma.toFloatArray();
    return logits(ids.getShape());
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma, NDArray positions, NDArray attnBias) {
    throw new UnsupportedOperationException();
  }

  @Override
  public NDArray forwardSoft(NDArray weights, NDArray sigma) {
    fedWeights = weights.toFloatArray();
    fedSigma = sigma.toFloatArray();
    return logits(weights.getShape());
  }

  @Override
  public Backbone<NDArray> teacher() {
    return teacher != null ? teacher : Backbone.super.teacher();
  }

  private NDArray logits(Shape input) {
    return m.create(values, new Shape(input.get(0), input.get(1), vocab));
  }
}
