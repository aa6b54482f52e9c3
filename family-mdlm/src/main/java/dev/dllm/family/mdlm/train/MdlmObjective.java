package dev.dllm.family.mdlm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.mdlm.MdlmFamily;
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
 *
 * <p>Supervised fine-tuning ({@link TrainingBatch#given()} non-null, issue 17; spec §11.2 "corrupt
 * response positions only"; SMDM's GSM8K SFT, dLLM's {@code mask_prompt_loss}): z_t is drawn
 * exactly as in pre-training (one uniform per position of the batch, given ones included, so the
 * free positions see the same noise on the same Rng), then the clean ids are put back at the given
 * positions, so the backbone always sees the clean prompt; only free masked positions are scored,
 * and the <b>normaliser</b> of both objectives is the number of free positions Σ_b #{l : not
 * given(b, l)} (at least 1) instead of B·L, the analogue of B·L for the response. For {@code elbo},
 * loss × free count equals {@code MdlmFamily#conditionalNelbo} on the same z_t (its {@code
 * tokens()} is that count). With {@code given == null} the loss is computed exactly as before (the
 * same draws and graph).
 */
public final class MdlmObjective implements TrainingObjective<NDArray> {
  private static final Set<String> OBJECTIVES = new LinkedHashSet<>(List.of("elbo", "low_var"));
  private static final MdlmFamily FAMILY = new MdlmFamily();

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
   * The loss of one micro-batch: absorbing-state corruption of x0 with {@link MdlmFamily#corrupt}
   * (first use of the batch's Rng), one forward of z_t with sigma = 0, then {@link #loss(NDArray,
   * NDArray, NDArray, NDArray, int, String, NDArray)}.
   *
   * @throws InvalidInputException for an unknown objective
   */
  @Override
  public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
    requireKnown(objective);
    int b = batch.batch();
    int length = batch.length();
    int[] zt = FAMILY.corrupt(batch.x0(), b, length, batch.t(), batch.specials(), batch.rng());
    float[] scored = null;
    long free = 0;
    if (batch.given() != null) {
      int mask = batch.specials().mask();
      scored = new float[zt.length];
      for (int i = 0; i < zt.length; i++) {
        if (batch.given()[i]) {
          zt[i] = batch.x0()[i]; // the prompt is never corrupted
        } else {
          free++;
          scored[i] = zt[i] == mask ? 1f : 0f;
        }
      }
    }
    NDArray x0 = net.ids(batch.x0(), b, length);
    NDArray z = net.ids(zt, b, length);
    NDArray logits = net.forward(z, null);
    float[] t = new float[b];
    for (int i = 0; i < b; i++) {
      t[i] = (float) batch.t()[i];
    }
    if (scored != null) {
      requireKnown(objective);
      return weightedSum(
          logits,
          x0,
          net.floats(scored, b, length),
          net.floats(t, b),
          batch.specials().mask(),
          objective,
          net.constant(Math.max(1, free)));
    }
    return loss(
        logits,
        x0,
        z,
        net.floats(t, b),
        batch.specials().mask(),
        objective,
        net.constant((double) b * length));
  }

  /**
   * The loss in nats per position from given logits (the scalar B·L is created on the logits'
   * manager, which must outlive backward).
   *
   * @param logits {@code [B, L, V]} network outputs on zt
   * @param x0 {@code [B, L]} clean tokens
   * @param zt {@code [B, L]} the network input (masked positions hold maskId)
   * @param t {@code [B]} times in [1e-3, 1] (only read by {@code elbo})
   * @throws InvalidInputException for an unknown objective
   */
  public NDArray loss(
      NDArray logits, NDArray x0, NDArray zt, NDArray t, int maskId, String objective) {
    Shape shape = logits.getShape();
    NDArray positions = logits.getManager().create((float) (shape.get(0) * shape.get(1)));
    return loss(logits, x0, zt, t, maskId, objective, positions);
  }

  /**
   * The loss in nats per position: Σ w·1[z_t = m]·(−log p(x0|z_t)) / (B·L).
   *
   * @param positions the scalar B·L as an autograd-safe array (it divides the gradient path)
   * @throws InvalidInputException for an unknown objective
   */
  NDArray loss(
      NDArray logits,
      NDArray x0,
      NDArray zt,
      NDArray t,
      int maskId,
      String objective,
      NDArray positions) {
    requireKnown(objective);
    NDArray masked = zt.eq(maskId).toType(DataType.FLOAT32, false); // [B, L]
    return weightedSum(logits, x0, masked, t, maskId, objective, positions);
  }

  /**
   * Σ w·scored·(−log p(x0|z_t)) / {@code normaliser}.
   *
   * @param scored {@code [B, L]} float32, 1 at the scored (masked, free) positions
   * @param normaliser the scalar denominator as an autograd-safe array
   */
  private static NDArray weightedSum(
      NDArray logits,
      NDArray x0,
      NDArray scored,
      NDArray t,
      int maskId,
      String objective,
      NDArray normaliser) {
    long batch = logits.getShape().get(0);
    NDArray logp =
        suppressMask(logits, maskId)
            .logSoftmax(-1)
            .gather(x0.toType(DataType.INT64, false).expandDims(-1), -1)
            .squeeze(-1); // [B, L]
    NDArray perToken = logp.neg().mul(scored);
    if (objective.equals("elbo")) {
      // autograd-safe: t carries no gradient, so the temporary exponent is never kept
      NDArray invT = t.toType(DataType.FLOAT32, false).reshape(batch, 1).pow(-1);
      perToken = perToken.mul(invT);
    }
    return perToken.sum().div(normaliser);
  }

  private static void requireKnown(String objective) {
    if (!OBJECTIVES.contains(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family mdlm; expected one of "
              + OBJECTIVES);
    }
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
