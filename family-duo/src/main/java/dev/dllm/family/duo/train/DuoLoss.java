package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.train.Backbone;

/**
 * The Duo NELBO (spec §3.2) on DJL arrays, float32, for per-row schedule values: with i = z_t, x̄_θ
 * = V alpha x_θ + (1 − alpha) and x_θ = softmax(logits) with logit[mask] = −1e6, per token loss =
 * alpha'/(V alpha) · [V/x̄_i − V/x̄_θ,i − S], where the j-sum S is in closed form and its model
 * part uses Σ_j (log x̄_θ,j − log x̄_θ,i), never V log x̄_θ,i − Σ_j log x̄_θ,j (catastrophic
 * cancellation in float32, spec §10.8). The data-only terms are computed in float64 in Java.
 *
 * <p>Every constant is an array from {@link Constants} (the backbone's scope, or a manager that
 * outlives backward), never a Java number passed to {@code mul/add/div} (issue 7 §1).
 */
final class DuoLoss {
  private DuoLoss() {}

  /** Where the loss gets its constant arrays; each lives until after backward. */
  interface Constants {
    /** A float32 array of {@code shape}. */
    NDArray floats(float[] values, long... shape);

    /** A float32 scalar. */
    NDArray constant(double value);

    /** Token ids {@code [B, L]} int64. */
    NDArray ids(int[] ids, int batch, int length);

    /** Constants from a training backbone (its micro-batch scope and constant pool). */
    static Constants of(Backbone<NDArray> net) {
      return new Constants() {
        @Override
        public NDArray floats(float[] values, long... shape) {
          return net.floats(values, shape);
        }

        @Override
        public NDArray constant(double value) {
          return net.constant(value);
        }

        @Override
        public NDArray ids(int[] ids, int batch, int length) {
          return net.ids(ids, batch, length);
        }
      };
    }

    /** Constants attached to {@code m} (which must outlive backward). */
    static Constants of(NDManager m) {
      return new Constants() {
        @Override
        public NDArray floats(float[] values, long... shape) {
          return m.create(values, new Shape(shape));
        }

        @Override
        public NDArray constant(double value) {
          return m.create((float) value);
        }

        @Override
        public NDArray ids(int[] ids, int batch, int length) {
          long[] l = new long[ids.length];
          for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
          }
          return m.create(l, new Shape(batch, length));
        }
      };
    }
  }

  /**
   * Σ_{b,l} loss / (B·L), a scalar.
   *
   * @param logits {@code [B, L, V]}
   * @param x0 clean ids {@code [B·L]}
   * @param zt noisy ids {@code [B·L]}
   * @param alpha alpha_t per row {@code [B]}, in (0, 1)
   * @param move 1 − alpha_t per row (passed separately: no cancellation)
   * @param alphaPrime dalpha_t/dt per row (&lt; 0)
   * @param maskId suppressed id, or negative for none
   * @param consumeLogits whether {@code logits} may be closed once used (the training seam owns
   *     them; a caller that passes its own logits keeps them)
   */
  static NDArray nelbo(
      NDArray logits,
      int[] x0,
      int[] zt,
      double[] alpha,
      double[] move,
      double[] alphaPrime,
      int maskId,
      Constants c,
      boolean consumeLogits) {
    return nelbo(logits, x0, zt, null, alpha, move, alphaPrime, maskId, c, consumeLogits);
  }

  /**
   * Σ_{b,l scored} loss / (number of scored positions), a scalar: {@link #nelbo(NDArray, int[],
   * int[], double[], double[], double[], int, Constants, boolean)} restricted to the free positions
   * of an SFT batch (the network still sees every position of z_t).
   *
   * @param given {@code [B·L]} true at unscored (prompt) positions, or null: every position is
   *     scored and the sum is divided by B·L, the same graph as without a mask
   */
  static NDArray nelbo(
      NDArray logits,
      int[] x0,
      int[] zt,
      boolean[] given,
      double[] alpha,
      double[] move,
      double[] alphaPrime,
      int maskId,
      Constants c,
      boolean consumeLogits) {
    Shape shape = logits.getShape();
    int batch = (int) shape.get(0);
    int length = (int) shape.get(1);
    int vocab = (int) shape.get(2);
    float[] va = new float[batch];
    float[] mv = new float[batch];
    float[] negMove = new float[batch];
    float[] invSame = new float[batch];
    float[] invDiff = new float[batch];
    float[] dataSame = new float[batch];
    float[] dataDiff = new float[batch];
    float[] weight = new float[batch];
    for (int b = 0; b < batch; b++) {
      if (!(move[b] > 0 && alpha[b] > 0)) {
        throw new IllegalArgumentException(
            "the Duo loss needs 0 < alpha_t < 1, got alpha=" + alpha[b] + ", 1-alpha=" + move[b]);
      }
      double vAlpha = vocab * alpha[b];
      double ratio = vAlpha / move[b];
      va[b] = (float) vAlpha;
      mv[b] = (float) move[b];
      negMove[b] = (float) -move[b];
      invSame[b] = (float) (1 / (move[b] + vAlpha));
      invDiff[b] = (float) (1 / move[b]);
      dataSame[b] = (float) (-(vocab - 1) * (move[b] / (move[b] + vAlpha)) * Math.log1p(ratio));
      dataDiff[b] = (float) ((1 + ratio) * Math.log1p(ratio));
      weight[b] = (float) (alphaPrime[b] / vAlpha);
    }
    long[] row3 = {batch, 1, 1};
    long[] row2 = {batch, 1};
    // Memory: DJL keeps every array until its manager closes, so the [B, L, V] intermediates that
    // autograd does not save are closed as soon as they are consumed (autograd holds its own
    // references to the tensors it saves; these are torch-owned, never Java buffers).
    NDArray masked = suppressMask(logits, maskId, c);
    NDArray logp = masked.logSoftmax(-1); // [B, L, V]
    closeIfNot(masked, logits);
    if (consumeLogits && masked != logits) {
      logits.close(); // the output linear saves its input, not its output
    }
    NDArray p = logp.exp();
    logp.close();
    NDArray scaled = p.mul(c.floats(va, row3));
    p.close();
    NDArray shifted = scaled.add(c.floats(mv, row3));
    scaled.close();
    NDArray logXbar = shifted.log(); // log x̄_θ
    shifted.close();
    NDArray zIdx = c.ids(zt, batch, length).expandDims(-1); // [B, L, 1]
    NDArray xIdx = c.ids(x0, batch, length).expandDims(-1);
    NDArray logI3 = logXbar.gather(zIdx, -1); // [B, L, 1]
    NDArray diffs = logXbar.sub(logI3);
    NDArray d = diffs.sum(new int[] {-1}); // Σ_j (log x̄_θ,j − log x̄_θ,i), [B, L]
    diffs.close();
    NDArray logI = logI3.squeeze(-1);
    NDArray logX = logXbar.gather(xIdx, -1).squeeze(-1);
    logXbar.close();
    float[] sameCase = new float[batch * length];
    float[] diffCase = new float[batch * length];
    for (int i = 0; i < sameCase.length; i++) {
      sameCase[i] = zt[i] == x0[i] ? 1f : 0f;
      diffCase[i] = 1f - sameCase[i];
    }
    NDArray same = c.floats(sameCase, batch, length);
    NDArray diff = c.floats(diffCase, batch, length);
    NDArray invXi = same.mul(c.floats(invSame, row2)).add(diff.mul(c.floats(invDiff, row2)));
    NDArray data = same.mul(c.floats(dataSame, row2)).add(diff.mul(c.floats(dataDiff, row2)));
    NDArray sum =
        invXi
            .mul(d.mul(c.floats(negMove, row2)).add(logI.sub(logX).mul(c.floats(va, row2))))
            .add(data);
    NDArray vocabN = c.constant(vocab);
    NDArray bracket = invXi.mul(vocabN).sub(logI.neg().exp().mul(vocabN)).sub(sum);
    NDArray perToken = bracket.mul(c.floats(weight, row2)); // [B, L]
    if (given == null) {
      return perToken.sum().div(c.constant((double) batch * length));
    }
    float[] scored = new float[batch * length];
    long free = 0;
    for (int i = 0; i < scored.length; i++) {
      if (!given[i]) {
        scored[i] = 1f;
        free++;
      }
    }
    return perToken.mul(c.floats(scored, batch, length)).sum().div(c.constant(Math.max(1, free)));
  }

  /**
   * Adds −1e6 to logit[maskId] in float32 (spec §3.1): its softmax probability is then exactly 0 in
   * float32, as with the reference's assignment, and so is its gradient; one [B, L, V] array
   * instead of two. Unchanged when there is no mask id.
   */
  private static NDArray suppressMask(NDArray logits, int maskId, Constants c) {
    NDArray x =
        logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    int vocab = (int) x.getShape().get(x.getShape().dimension() - 1);
    if (maskId < 0 || maskId >= vocab) {
      return x;
    }
    float[] bias = new float[vocab];
    bias[maskId] = -1e6f;
    NDArray out = x.add(c.floats(bias, vocab));
    closeIfNot(x, logits);
    return out;
  }

  private static void closeIfNot(NDArray a, NDArray keep) {
    if (a != keep) {
      a.close();
    }
  }
}
