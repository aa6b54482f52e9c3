package dev.dllm.family.esolm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * The DJL loss math of Eso-LM on the network outputs of one {@link
 * dev.dllm.family.esolm.EsoLmBatch} (spec §4.1, §10.18), independent of how the forward is run:
 * logit[mask] = −1e6, log-softmax in float32 <i>before</i> the gather (the [SD] reconstruction loss
 * skips it), sorted targets and validity, per-row weights. The trainer's family-driven forward
 * (positions + additive attention mask) supplies the logits; the scalar to minimise is {@link
 * #combine}. Equals {@code EsoLmFamily#splitLoss} on the same logits (conformance test).
 */
public final class EsoLmLoss {
  private EsoLmLoss() {}

  /**
   * Σ_r w_r Σ_{l &lt; L} valid[r, l] · (−log p(target[r, l])) over the first L outputs.
   *
   * @param logits {@code [R, S, V]}, S = L (diffusion) or 2L (two-stream; the z half comes first)
   * @param targets sorted targets {@code [R, L]} (int)
   * @param valid 1 at masked inputs {@code [R, L]} (float)
   * @param weights per row {@code [R]}, or null for 1
   * @return a float32 scalar (nats)
   */
  public static NDArray branchSum(
      NDArray logits, NDArray targets, NDArray valid, NDArray weights, int maskId) {
    long length = targets.getShape().get(1);
    NDArray z =
        logits.getShape().get(1) == length ? logits : logits.get(new NDIndex(":, :{}", length));
    NDArray logp =
        suppressMask(z, maskId)
            .logSoftmax(-1)
            .gather(targets.toType(DataType.INT64, false).expandDims(-1), -1)
            .squeeze(-1); // [R, L]
    NDArray perToken = logp.neg().mul(valid.toType(DataType.FLOAT32, false));
    if (weights != null) {
      perToken = perToken.mul(weights.toType(DataType.FLOAT32, false).reshape(-1, 1));
    }
    return perToken.sum();
  }

  /**
   * The optimised scalar of [SD]/[ESO] {@code EsoLM._loss}: arSum / arTokens + diffusionSum /
   * diffusionTokens (each part over its own B_part · L positions; a part with no rows is left out).
   *
   * @param diffusionSum scalar or null when there are no diffusion rows
   * @param diffusionTokens the scalar n·L as an autograd-safe array ({@code Backbone#constant})
   * @param arSum scalar or null when there are no AR rows
   * @param arTokens the scalar (B − n)·L as an autograd-safe array
   */
  public static NDArray combine(
      NDArray diffusionSum, NDArray diffusionTokens, NDArray arSum, NDArray arTokens) {
    NDArray d = diffusionSum == null ? null : diffusionSum.div(diffusionTokens);
    NDArray a = arSum == null ? null : arSum.div(arTokens);
    if (d == null && a == null) {
      throw new IllegalArgumentException("Eso-LM loss needs at least one row");
    }
    return d == null ? a : a == null ? d : d.add(a);
  }

  /** Sets logit[maskId] to −1e6 in float32. */
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
