package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.train.TrainingObjective;
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
  private final LogLinearSchedule schedule = new LogLinearSchedule();

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
   * The loss in nats per position.
   *
   * @param logits {@code [B, L, V]} network outputs on zt at sigma = −log alpha_t
   * @param x0 {@code [B, L]} clean tokens
   * @param zt {@code [B, L]} the network input
   * @param t {@code [B]} times in (0, 1]
   * @param maskId the mask id (its logit is set to −1e6), or negative for none
   * @throws InvalidInputException for an objective other than {@code elbo}
   */
  @Override
  public NDArray loss(
      NDArray logits, NDArray x0, NDArray zt, NDArray t, int maskId, String objective) {
    if (!"elbo".equals(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family duo; expected one of [elbo] (Duo always trains the"
              + " ELBO, spec §3.2)");
    }
    Shape shape = logits.getShape();
    int batch = (int) shape.get(0);
    int length = (int) shape.get(1);
    int vocab = (int) shape.get(2);
    NDManager m = logits.getManager();
    double[] times = t.toType(DataType.FLOAT64, false).toDoubleArray();
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
    Shape row3 = new Shape(batch, 1, 1);
    Shape row2 = new Shape(batch, 1);
    NDArray logp = suppressMask(logits, maskId).logSoftmax(-1); // [B, L, V]
    NDArray logXbar = logp.exp().mul(m.create(va, row3)).add(m.create(move, row3)).log();
    NDArray zIdx = zt.toType(DataType.INT64, false).expandDims(-1);
    NDArray xIdx = x0.toType(DataType.INT64, false).expandDims(-1);
    NDArray logI3 = logXbar.gather(zIdx, -1); // [B, L, 1]
    NDArray d = logXbar.sub(logI3).sum(new int[] {-1}); // Σ_j (log x̄_θ,j − log x̄_θ,i), [B, L]
    NDArray logI = logI3.squeeze(-1);
    NDArray logX = logXbar.gather(xIdx, -1).squeeze(-1);
    NDArray same = zt.eq(x0).toType(DataType.FLOAT32, false);
    NDArray diff = zt.neq(x0).toType(DataType.FLOAT32, false);
    NDArray invXi = same.mul(m.create(invSame, row2)).add(diff.mul(m.create(invDiff, row2)));
    NDArray data = same.mul(m.create(dataSame, row2)).add(diff.mul(m.create(dataDiff, row2)));
    NDArray sum =
        invXi
            .mul(d.mul(m.create(negMove, row2)).add(logI.sub(logX).mul(m.create(va, row2))))
            .add(data);
    NDArray vocabN = m.create((float) vocab);
    NDArray bracket = invXi.mul(vocabN).sub(logI.neg().exp().mul(vocabN)).sub(sum);
    NDArray perToken = bracket.mul(m.create(weight, row2)); // [B, L]
    return perToken.sum().mul(m.create((float) (1.0 / ((double) batch * length))));
  }

  /** Sets logit[maskId] to −1e6 in float32 (spec §3.1); unchanged when there is no mask id. */
  static NDArray suppressMask(NDArray logits, int maskId) {
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
    NDManager manager = x.getManager();
    return x.mul(manager.create(keep)).add(manager.create(bias));
  }
}
