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
    return loss(net.forward(x0, null), x0, x0, null, batch.specials().mask(), objective);
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
    if (!"ce".equals(objective)) {
      throw new InvalidInputException(
          "objective '" + objective + "' is not supported by family ar; expected: ce");
    }
    long length = logits.getShape().get(1);
    NDArray scores = MaskLogit.suppress(logits.get(new NDIndex(":, :{}", length - 1)), maskId);
    NDArray logp = scores.logSoftmax(-1);
    NDArray target = x0.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
    return logp.gather(target, -1).neg().mean();
  }
}
