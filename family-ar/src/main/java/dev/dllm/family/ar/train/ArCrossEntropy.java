package dev.dllm.family.ar.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import java.util.Set;

/**
 * The DJL training loss of the {@code ar} family (spec §5): mean next-token cross entropy over the
 * B·(L - 1) targets x0[:, 1:] predicted from positions 0 .. L - 2, with logit[mask] = -1e6 and the
 * log-softmax in float32. Equals {@code ArFamily#nelbo} sum / (B·(L - 1)).
 *
 * <p>Supervised fine-tuning ({@link TrainingBatch#given()} non-null, issue 17; spec §11.2 "AR:
 * cross entropy on response tokens only"): the network still reads the full clean rows (the prompt
 * is the context), but target l (predicted at l - 1) is scored only when position l is not given,
 * so a prompt token is never a target; <b>normaliser</b> = the number of scored targets, Σ_b #{l
 * &gt;= 1 : not given(b, l)} (at least 1, so a micro-batch with nothing to score gives 0). That is
 * {@code ArFamily#conditionalNelbo} sum / its {@code tokens()} for a prefix mask; any other mask is
 * accepted too (targets at given positions are dropped). With {@code given == null} the loss is
 * computed exactly as before (the same graph).
 */
public final class ArCrossEntropy implements TrainingObjective<NDArray> {

  @Override
  public String family() {
    return "ar";
  }

  @Override
  public Class<NDArray> arrayType() {
    return NDArray.class;
  }

  @Override
  public Set<String> objectives() {
    return Set.of("ce");
  }

  /**
   * The loss of one micro-batch: one causal forward of x0 with sigma = 0, then {@link
   * #loss(NDArray, NDArray, NDArray, NDArray, int, String)}.
   *
   * @throws InvalidInputException for an objective other than {@code ce}
   */
  @Override
  public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
    NDArray x0 = net.ids(batch.x0(), batch.batch(), batch.length());
    if (batch.given() == null) {
      return loss(net.forward(x0, null), x0, x0, null, batch.specials().mask(), objective);
    }
    requireCe(objective);
    int b = batch.batch();
    int length = batch.length();
    float[] scored = new float[b * Math.max(0, length - 1)];
    long targets = 0;
    for (int row = 0; row < b; row++) {
      for (int l = 1; l < length; l++) {
        if (!batch.isGiven(row, l)) {
          scored[row * (length - 1) + l - 1] = 1f;
          targets++;
        }
      }
    }
    NDArray logits = net.forward(x0, null);
    return responseLoss(
        logits,
        x0,
        net.floats(scored, b, length - 1),
        net.constant(Math.max(1, targets)),
        batch.specials().mask());
  }

  /**
   * Σ of the CE terms at scored targets / {@code scoredCount} (the response-only loss).
   *
   * @param scored {@code [B, L - 1]} 1 where target l + 1 is scored, 0 where it is given
   * @param scoredCount the number of scored targets (at least 1) as an autograd-safe scalar
   */
  static NDArray responseLoss(
      NDArray logits, NDArray x0, NDArray scored, NDArray scoredCount, int maskId) {
    long length = logits.getShape().get(1);
    NDArray scores = MaskLogit.suppress(logits.get(new NDIndex(":, :{}", length - 1)), maskId);
    NDArray logp = scores.logSoftmax(-1);
    NDArray target = x0.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
    return logp.gather(target, -1).squeeze(-1).neg().mul(scored).sum().div(scoredCount);
  }

  private static void requireCe(String objective) {
    if (!"ce".equals(objective)) {
      throw new InvalidInputException(
          "objective '" + objective + "' is not supported by family ar; expected: ce");
    }
  }

  /**
   * Mean CE in nats per predicted token.
   *
   * @param logits {@code [B, L, V]} outputs of the causal network on x0
   * @param x0 {@code [B, L]} clean tokens
   * @param zt ignored (the network input is x0)
   * @param t ignored
   * @throws InvalidInputException for an objective other than {@code ce}
   */
  public NDArray loss(
      NDArray logits, NDArray x0, NDArray zt, NDArray t, int maskId, String objective) {
    requireCe(objective);
    long length = logits.getShape().get(1);
    NDArray scores = MaskLogit.suppress(logits.get(new NDIndex(":, :{}", length - 1)), maskId);
    NDArray logp = scores.logSoftmax(-1);
    NDArray target = x0.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
    return logp.gather(target, -1).neg().mean();
  }
}
