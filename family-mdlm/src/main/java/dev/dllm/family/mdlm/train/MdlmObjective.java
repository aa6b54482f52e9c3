package dev.dllm.family.mdlm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.train.TrainingObjective;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The DJL training loss of the {@code mdlm} family (spec §2.2, §10.3-10.4; [SD] algo.py {@code
 * MDLM.nll_per_token}, trainer_base.py {@code _loss}): with logit[mask] = -1e6 and log-softmax in
 * float32 over {@code [B, L, V]}, loss = Σ_{b,l} w_b · 1[z_t = m] · (-log p(x0 | z_t)) / (B·L).
 *
 * <ul>
 *   <li>{@code elbo} (default): w = 1/t, the continuous-time NELBO weight of the log-linear
 *       schedule; loss × B·L equals {@code MdlmFamily#nelbo} on the same logits, x0, t and z_t.
 *   <li>{@code low_var}: w = 1 (masked-LM cross entropy; training only, not a bound).
 * </ul>
 *
 * Unmasked positions contribute 0 (SUBS carry-over); the denominator is all B·L positions.
 */
public final class MdlmObjective implements TrainingObjective<NDArray> {
  private static final Set<String> OBJECTIVES = new LinkedHashSet<>(List.of("elbo", "low_var"));

  @Override
  public String family() {
    return "mdlm";
  }

  @Override
  public Class<NDArray> arrayType() {
    return NDArray.class;
  }

  /** {@code elbo} (default) and {@code low_var}, in that order. */
  @Override
  public Set<String> objectives() {
    return java.util.Collections.unmodifiableSet(OBJECTIVES);
  }

  /**
   * The loss in nats per position.
   *
   * @param logits {@code [B, L, V]} network outputs on zt
   * @param x0 {@code [B, L]} clean tokens
   * @param zt {@code [B, L]} the network input (masked positions hold maskId)
   * @param t {@code [B]} times in [1e-3, 1] (only read by {@code elbo})
   * @throws InvalidInputException for an unknown objective
   */
  @Override
  public NDArray loss(
      NDArray logits, NDArray x0, NDArray zt, NDArray t, int maskId, String objective) {
    if (!OBJECTIVES.contains(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family mdlm; expected one of "
              + OBJECTIVES);
    }
    Shape shape = logits.getShape();
    long batch = shape.get(0);
    long length = shape.get(1);
    NDArray logp =
        suppressMask(logits, maskId)
            .logSoftmax(-1)
            .gather(x0.toType(DataType.INT64, false).expandDims(-1), -1)
            .squeeze(-1); // [B, L]
    NDArray masked = zt.eq(maskId).toType(DataType.FLOAT32, false); // [B, L]
    NDArray perToken = logp.neg().mul(masked);
    if (objective.equals("elbo")) {
      NDArray invT = t.toType(DataType.FLOAT32, false).reshape(batch, 1).pow(-1);
      perToken = perToken.mul(invT);
    }
    return perToken.sum().div((float) (batch * length));
  }

  /** Sets logit[maskId] to -1e6 in float32 (spec §2.1 SUBS step 1). */
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
