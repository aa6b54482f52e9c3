package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay on DJL arrays, written out so that its state (first moment m,
 * second moment v and the step count) can be saved to {@code optimizer.safetensors} and resumed
 * bit-exactly. Same update order as {@code torch.optim.AdamW} (single-tensor path), in float32:
 *
 * <pre>
 *   p  &lt;- p * (1 - lr * wd)
 *   m  &lt;- beta1 * m + (1 - beta1) * g
 *   v  &lt;- beta2 * v + (1 - beta2) * g^2
 *   p  &lt;- p - (lr / (1 - beta1^n)) * m / (sqrt(v) / sqrt(1 - beta2^n) + eps)
 * </pre>
 *
 * where n is the 1-based step, as one TorchScript call over the whole parameter list: {@code
 * torch._fused_adamw_}, the CPU kernel of {@code torch.optim.AdamW(fused=True)} (one pass over p,
 * g, m, v per tensor; the same update, equal to the per-tensor ops of {@link #stepPerTensor} up to
 * float32 rounding), then {@code torch._foreach_zero_} on the gradients ({@link ForeachKernels}).
 * After the update the gradients are zeroed (Loshchilov &amp; Hutter, "Decoupled Weight Decay
 * Regularization"; spec §8.1, §10.16).
 *
 * <p>State tensor names: {@code exp_avg.<param>} and {@code exp_avg_sq.<param>}; the step count is
 * part of the training state, not of the tensors.
 */
public final class AdamW implements AutoCloseable {
  /** Prefix of the first-moment tensors in the saved state. */
  public static final String M_PREFIX = "exp_avg.";

  /** Prefix of the second-moment tensors in the saved state. */
  public static final String V_PREFIX = "exp_avg_sq.";

  private final AdamWConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long step;

  /**
   * A fresh optimizer with zero moments for every parameter.
   *
   * @param parent parent of the sub-manager that owns the state arrays (closed with the optimizer)
   * @param params the trainable parameters (names as in {@code DitModel.parameters()})
   */
  public AdamW(NDManager parent, AdamWConfig config, Map<String, NDArray> params) {
    this.config = config;
    this.manager = parent.newSubManager();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      m.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
      v.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
    }
  }

  /** Number of updates taken so far. */
  public long stepCount() {
    return step;
  }

  public AdamWConfig config() {
    return config;
  }

  /**
   * One update of every parameter in {@code params} from its attached gradient, then zeroes the
   * gradients.
   *
   * @param lr learning rate of this step
   */
  public void step(Map<String, NDArray> params, double lr) {
    step++;
    List<NDArray> ps = new ArrayList<>(params.size());
    List<NDArray> gs = new ArrayList<>(params.size());
    List<NDArray> ms = new ArrayList<>(params.size());
    List<NDArray> vs = new ArrayList<>(params.size());
    try (NDManager tmp = manager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        ms.add(state(m, e.getKey()));
        vs.add(state(v, e.getKey()));
        ps.add(e.getValue());
        NDArray g = e.getValue().getGradient();
        g.attach(tmp);
        gs.add(g);
      }
      double[] hp = {lr, config.beta1(), config.beta2(), config.weightDecay(), config.eps()};
      ForeachKernels.run(
          "adamw",
          ForeachKernels.list(ps),
          ForeachKernels.list(gs),
          ForeachKernels.list(ms),
          ForeachKernels.list(vs),
          IValue.from((PtNDArray) tmp.create((float) step)),
          IValue.listFrom(hp));
    }
  }

  /**
   * The same update as {@link #step} written as DJL ops tensor by tensor (about ten JNI calls per
   * parameter): the oracle of the multi-tensor step.
   */
  void stepPerTensor(Map<String, NDArray> params, double lr) {
    step++;
    double bc1 = 1 - Math.pow(config.beta1(), step);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(config.beta2(), step));
    float decay = (float) (1 - lr * config.weightDecay());
    float stepSize = (float) (lr / bc1);
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray mi = state(m, e.getKey());
      NDArray vi = state(v, e.getKey());
      try (NDManager tmp = manager.newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(tmp);
        p.tempAttach(tmp);
        mi.tempAttach(tmp);
        vi.tempAttach(tmp);
        if (config.weightDecay() != 0) {
          p.muli(decay);
        }
        mi.muli((float) config.beta1()).addi(g.mul((float) (1 - config.beta1())));
        vi.muli((float) config.beta2()).addi(g.square().muli((float) (1 - config.beta2())));
        NDArray denom = vi.sqrt().divi((float) bc2Sqrt).addi((float) config.eps());
        p.subi(mi.div(denom).muli(stepSize));
        g.subi(g);
      }
    }
  }

  private static NDArray state(Map<String, NDArray> map, String name) {
    NDArray a = map.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no optimizer state for parameter '" + name + "'");
    }
    return a;
  }

  /** The moments as named tensors ({@code exp_avg.*}, {@code exp_avg_sq.*}), float32 copies. */
  public Map<String, Tensor> stateTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : m.entrySet()) {
      out.put(M_PREFIX + e.getKey(), Tensors.toTensor(e.getValue()));
    }
    for (Map.Entry<String, NDArray> e : v.entrySet()) {
      out.put(V_PREFIX + e.getKey(), Tensors.toTensor(e.getValue()));
    }
    return out;
  }

  /**
   * Restores the moments and the step count saved by {@link #stateTensors()}.
   *
   * @throws InvalidInputException naming the tensor when one is missing or has another shape
   */
  public void load(Map<String, Tensor> state, long stepCount) {
    restore(m, M_PREFIX, state);
    restore(v, V_PREFIX, state);
    this.step = stepCount;
  }

  private void restore(Map<String, NDArray> target, String prefix, Map<String, Tensor> state) {
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      String name = prefix + e.getKey();
      Tensor t = state.get(name);
      if (t == null) {
        throw new InvalidInputException("optimizer state: missing tensor '" + name + "'");
      }
      NDArray fresh = Tensors.toNDArray(manager, t);
      if (!fresh.getShape().equals(e.getValue().getShape())) {
        throw new InvalidInputException(
            "optimizer state: tensor '"
                + name
                + "' has shape "
                + fresh.getShape()
                + ", expected "
                + e.getValue().getShape());
      }
      e.getValue().close();
      e.setValue(fresh);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
