package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.duo.DuoFamily;
import java.util.Arrays;
import java.util.Set;

/**
 * The DJL training loss of the {@code duo} family: the continuous-time Duo NELBO (spec §3.2; [SD]
 * algo.py {@code DUO_BASE._nll_per_token}) in float32 over {@code [B, L, V]}, summed over all B·L
 * positions and divided by B·L; loss × B·L equals {@code DuoFamily#nelboAt} on the same logits, x0,
 * z_t and t. Only {@code elbo}: the reference ignores {@code low_var} for Duo, so it is refused
 * rather than silently ignored.
 *
 * <p>Per token, with i = z_t, x̄_θ = V alpha x_θ + (1 − alpha) and x_θ = softmax(logits) with
 * logit[mask] = −1e6: loss = alpha'/(V alpha) · [V/x̄_i − V/x̄_θ,i − S], where the j-sum S is in
 * closed form and its model part uses Σ_j (log x̄_θ,j − log x̄_θ,i), never V log x̄_θ,i − Σ_j log
 * x̄_θ,j (catastrophic cancellation in float32, spec §10.8). The per-row schedule constants (alpha,
 * 1 − alpha, alpha', the data-only terms) are computed in float64 in Java, since t needs no
 * gradient.
 *
 * <p>Every constant is an NDArray created on the logits' manager and left attached to it, never a
 * Java number passed to {@code mul/add/div} (issue 7 §1: such temporaries can be freed before
 * backward reads them).
 */
public final class DuoObjective implements TrainingObjective<NDArray> {
  private static final DuoFamily FAMILY = new DuoFamily();
  private final LogLinearSchedule schedule = new LogLinearSchedule();

  /** Where the loss gets its constant arrays: the backbone's scope, or a manager in tests. */
  interface Constants {
    /** A float32 array of {@code shape}, alive until after backward. */
    NDArray floats(float[] values, long... shape);

    /** A float32 scalar, alive until after backward. */
    NDArray constant(double value);

    /** Token ids {@code [B, L]} int64, alive until after backward. */
    NDArray ids(int[] ids, int batch, int length);
  }

  @Override
  public String family() {
    return "duo";
  }

  @Override
  public Class<NDArray> arrayType() {
    return NDArray.class;
  }

  /** Only {@code elbo}. */
  @Override
  public Set<String> objectives() {
    return Set.of("elbo");
  }

  /**
   * The loss of one micro-batch: uniform corruption of x0 over the backbone's V ({@link
   * DuoFamily#corrupt(int[], int, int, double[], int, dev.dllm.api.sample.Rng)}, first use of the
   * batch's Rng, as in {@code DuoFamily#nelbo}), one forward of z_t at sigma_b = −log alpha(t_b),
   * then the Duo NELBO over all B·L positions / (B·L).
   *
   * @throws InvalidInputException for an objective other than {@code elbo}
   */
  @Override
  public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
    requireElbo(objective);
    int b = batch.batch();
    int length = batch.length();
    int[] zt = FAMILY.corrupt(batch.x0(), b, length, batch.t(), net.vocabSize(), batch.rng());
    float[] sigma = new float[b];
    for (int i = 0; i < b; i++) {
      sigma[i] = (float) schedule.sigma(batch.t()[i]);
    }
    NDArray logits = net.forward(net.ids(zt, b, length), net.floats(sigma, b));
    Constants constants =
        new Constants() {
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
    return loss(logits, batch.x0(), zt, batch.t(), batch.specials().mask(), objective, constants);
  }

  /**
   * The loss in nats per position from given logits; constants are created on the logits' manager,
   * which must outlive backward.
   *
   * @param logits {@code [B, L, V]} network outputs on zt at sigma = −log alpha_t
   * @param x0 clean tokens {@code [B, L]} row-major
   * @param zt the network input {@code [B, L]} row-major
   * @param t times {@code [B]} in (0, 1]
   * @param maskId the mask id (its logit is set to −1e6), or negative for none
   * @throws InvalidInputException for an objective other than {@code elbo}
   */
  public NDArray loss(
      NDArray logits, int[] x0, int[] zt, double[] t, int maskId, String objective) {
    NDManager m = logits.getManager();
    Constants constants =
        new Constants() {
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
    return loss(logits, x0, zt, t, maskId, objective, constants);
  }

  private NDArray loss(
      NDArray logits,
      int[] x0Ids,
      int[] ztIds,
      double[] times,
      int maskId,
      String objective,
      Constants c) {
    requireElbo(objective);
    Shape shape = logits.getShape();
    int batch = (int) shape.get(0);
    int length = (int) shape.get(1);
    int vocab = (int) shape.get(2);
    float[] va = new float[batch];
    float[] move = new float[batch];
    float[] negMove = new float[batch];
    float[] invSame = new float[batch];
    float[] invDiff = new float[batch];
    float[] dataSame = new float[batch];
    float[] dataDiff = new float[batch];
    float[] weight = new float[batch];
    for (int b = 0; b < batch; b++) {
      double alpha = schedule.alpha(times[b]);
      double mv = schedule.moveProbability(times[b]);
      if (!(mv > 0)) {
        throw new IllegalArgumentException("the Duo loss needs t > 0, got " + times[b]);
      }
      double vAlpha = vocab * alpha;
      double ratio = vAlpha / mv;
      va[b] = (float) vAlpha;
      move[b] = (float) mv;
      negMove[b] = (float) -mv;
      invSame[b] = (float) (1 / (mv + vAlpha));
      invDiff[b] = (float) (1 / mv);
      dataSame[b] = (float) (-(vocab - 1) * (mv / (mv + vAlpha)) * Math.log1p(ratio));
      dataDiff[b] = (float) ((1 + ratio) * Math.log1p(ratio));
      weight[b] = (float) (schedule.alphaDerivative(times[b]) / vAlpha);
    }
    long[] row3 = {batch, 1, 1};
    long[] row2 = {batch, 1};
    NDArray logp = suppressMask(logits, maskId, c).logSoftmax(-1); // [B, L, V]
    NDArray logXbar = logp.exp().mul(c.floats(va, row3)).add(c.floats(move, row3)).log();
    NDArray zIdx = c.ids(ztIds, batch, length).expandDims(-1); // [B, L, 1]
    NDArray xIdx = c.ids(x0Ids, batch, length).expandDims(-1);
    NDArray logI3 = logXbar.gather(zIdx, -1); // [B, L, 1]
    NDArray d = logXbar.sub(logI3).sum(new int[] {-1}); // Σ_j (log x̄_θ,j − log x̄_θ,i), [B, L]
    NDArray logI = logI3.squeeze(-1);
    NDArray logX = logXbar.gather(xIdx, -1).squeeze(-1);
    float[] sameCase = new float[batch * length];
    float[] diffCase = new float[batch * length];
    for (int i = 0; i < sameCase.length; i++) {
      sameCase[i] = ztIds[i] == x0Ids[i] ? 1f : 0f;
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
    return perToken.sum().div(c.constant((double) batch * length));
  }

  private static void requireElbo(String objective) {
    if (!"elbo".equals(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family duo; expected one of [elbo] (Duo always trains the"
              + " ELBO, spec §3.2)");
    }
  }

  /** Sets logit[maskId] to −1e6 in float32 (spec §3.1); unchanged when there is no mask id. */
  private static NDArray suppressMask(NDArray logits, int maskId, Constants c) {
    NDArray x =
        logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    int vocab = (int) x.getShape().get(x.getShape().dimension() - 1);
    if (maskId < 0 || maskId >= vocab) {
      return x;
    }
    float[] keep = new float[vocab];
    float[] bias = new float[vocab];
    Arrays.fill(keep, 1f);
    keep[maskId] = 0f;
    bias[maskId] = -1e6f;
    return x.mul(c.floats(keep, vocab)).add(c.floats(bias, vocab));
  }
}
