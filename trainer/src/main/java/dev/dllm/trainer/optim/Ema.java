package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.IValue;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exponential moving average of the parameters (spec §8.3, [SD]/[DUO] models/ema.py): after each
 * optimizer step, with n the number of updates before this one,
 *
 * <pre>
 *   decay_eff = min(decay, (1 + n) / (10 + n))
 *   shadow   &lt;- shadow - (1 - decay_eff) * (shadow - param)
 * </pre>
 *
 * Shadow tensors are saved as {@code ema.<param>}.
 */
public final class Ema implements AutoCloseable {
  /** Prefix of the shadow tensors in the saved optimizer state. */
  public static final String PREFIX = "ema.";

  private final double decay;
  private final NDManager manager;
  private final Map<String, NDArray> shadow = new LinkedHashMap<>();
  private long updates;

  /** Shadows start as copies of {@code params}. */
  public Ema(NDManager parent, double decay, Map<String, NDArray> params) {
    if (!(decay > 0 && decay < 1)) {
      throw new InvalidInputException("--ema: decay must be in (0, 1), got " + decay);
    }
    this.decay = decay;
    this.manager = parent.newSubManager();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray copy = e.getValue().duplicate();
      copy.attach(manager);
      shadow.put(e.getKey(), copy);
    }
  }

  /** The decay used at the next update. */
  public double effectiveDecay() {
    return Math.min(decay, (1.0 + updates) / (10.0 + updates));
  }

  public long updates() {
    return updates;
  }

  /** One EMA update from the current parameter values. */
  public void update(Map<String, NDArray> params) {
    float oneMinus = (float) (1 - effectiveDecay());
    List<NDArray> ss = new ArrayList<>(shadow.size());
    List<NDArray> ps = new ArrayList<>(shadow.size());
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      ss.add(e.getValue());
      ps.add(params.get(e.getKey()));
    }
    ForeachKernels.run(
        "ema", ForeachKernels.list(ss), ForeachKernels.list(ps), IValue.from((double) oneMinus));
    updates++;
  }

  /** The same update tensor by tensor (DJL ops): the oracle of {@link #update}. */
  void updatePerTensor(Map<String, NDArray> params) {
    float oneMinus = (float) (1 - effectiveDecay());
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      NDArray p = params.get(e.getKey());
      NDArray s = e.getValue();
      try (NDManager tmp = manager.newSubManager()) {
        s.tempAttach(tmp);
        s.subi(s.sub(p).muli(oneMinus));
      }
    }
    updates++;
  }

  /** The shadow values under the parameter names (live arrays; do not close). */
  public Map<String, NDArray> shadow() {
    return shadow;
  }

  /** Shadow tensors as {@code ema.<param>}. */
  public Map<String, Tensor> stateTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      out.put(PREFIX + e.getKey(), Tensors.toTensor(e.getValue()));
    }
    return out;
  }

  /**
   * Restores the shadows and the update count.
   *
   * @throws InvalidInputException naming the tensor when one is missing
   */
  public void load(Map<String, Tensor> state, long updateCount) {
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      Tensor t = state.get(PREFIX + e.getKey());
      if (t == null) {
        throw new InvalidInputException(
            "optimizer state: missing tensor '" + PREFIX + e.getKey() + "'");
      }
      e.getValue().close();
      e.setValue(Tensors.toNDArray(manager, t));
    }
    this.updates = updateCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
