package dev.dllm.conformance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.train.Backbone;
import java.util.List;

/**
 * A backbone that records what each forward is fed (rows in batch order across calls) and
 * optionally applies a {@link Rewrite} to it before the network runs.
 */
final class RecordingBackbone implements Backbone<NDArray> {
  private final Backbone<NDArray> inner;
  private final List<Fed> fed;
  private final Rewrite rewrite;
  private final Backbone<NDArray> teacher;
  private int rowsSoFar;

  RecordingBackbone(
      Backbone<NDArray> inner, List<Fed> fed, Rewrite rewrite, Backbone<NDArray> teacher) {
    this.inner = inner;
    this.fed = fed;
    this.rewrite = rewrite;
    this.teacher = teacher;
  }

  @Override
  public int vocabSize() {
    return inner.vocabSize();
  }

  @Override
  public NDArray ids(int[] ids, int batch, int length) {
    return inner.ids(ids, batch, length);
  }

  @Override
  public NDArray floats(float[] values, long... shape) {
    return inner.floats(values, shape);
  }

  @Override
  public NDArray constant(double value) {
    return inner.constant(value);
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma) {
    return inner.forward(record(ids, null), sigma);
  }

  @Override
  public NDArray forward(NDArray ids, NDArray sigma, NDArray positions, NDArray attnBias) {
    return inner.forward(record(ids, positions), sigma, positions, attnBias);
  }

  @Override
  public NDArray forwardSoft(NDArray weights, NDArray sigma) {
    Shape s = weights.getShape();
    int rows = (int) s.get(0);
    int length = (int) s.get(1);
    int vocab = (int) s.get(2);
    float[] w = weights.toFloatArray();
    NDArray in = weights;
    if (rewrite != null) {
      for (int r = 0; r < rows; r++) {
        if (rowsSoFar + r != rewrite.row) {
          continue;
        }
        int off = (r * length + rewrite.position) * vocab;
        float a = w[off + rewrite.from];
        w[off + rewrite.from] = w[off + rewrite.to];
        w[off + rewrite.to] = a;
        rewrite.applied++;
        in = weights.getManager().create(w, s);
      }
    }
    fed.add(new Fed(rows, length, null, null, w, vocab));
    rowsSoFar += rows;
    return inner.forwardSoft(in, sigma);
  }

  private NDArray record(NDArray ids, NDArray positions) {
    Shape s = ids.getShape();
    int rows = (int) s.get(0);
    int length = (int) s.get(1);
    long[] values = ids.toLongArray();
    long[] pos = positions == null ? null : positions.toLongArray();
    NDArray in = ids;
    if (rewrite != null) {
      boolean changed = false;
      for (int r = 0; r < rows; r++) {
        if (rowsSoFar + r != rewrite.row) {
          continue;
        }
        for (int j = 0; j < length; j++) {
          int p = pos == null ? j : (int) pos[r * length + j];
          if (p == rewrite.position && values[r * length + j] == rewrite.from) {
            values[r * length + j] = rewrite.to;
            changed = true;
          }
        }
      }
      if (changed) {
        rewrite.applied++;
        in = ids.getManager().create(values, s);
      }
    }
    fed.add(new Fed(rows, length, values, pos, null, 0));
    rowsSoFar += rows;
    return in;
  }

  @Override
  public Backbone<NDArray> teacher() {
    return teacher != null ? teacher : Backbone.super.teacher();
  }

  /** What one forward call was fed. */
  static final class Fed {
    final int rows;
    final int length;
    final long[] ids;
    final long[] positions;
    final float[] soft;
    final int vocab;

    Fed(int rows, int length, long[] ids, long[] positions, float[] soft, int vocab) {
      this.rows = rows;
      this.length = length;
      this.ids = ids;
      this.positions = positions;
      this.soft = soft;
      this.vocab = vocab;
    }

    int position(int r, int j) {
      return positions == null ? j : (int) positions[r * length + j];
    }

    /** softmax(weights)[id] at fed token (r, j), in float64. */
    double softMass(int r, int j, int id) {
      int off = (r * length + j) * vocab;
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        max = Math.max(max, soft[off + v]);
      }
      double z = 0;
      for (int v = 0; v < vocab; v++) {
        z += Math.exp(soft[off + v] - max);
      }
      return Math.exp(soft[off + id] - max) / z;
    }
  }

  /**
   * Writes {@code to} back where row {@code row}, position {@code position} is fed {@code from}.
   */
  static final class Rewrite {
    final int row;
    final int position;
    final int from;
    final int to;
    int applied;

    Rewrite(int row, int position, int from, int to) {
      this.row = row;
      this.position = position;
      this.from = from;
      this.to = to;
    }
  }
}
