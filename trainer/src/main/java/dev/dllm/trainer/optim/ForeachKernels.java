package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.dllm.trainer.autograd.TorchScriptArchive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Multi-tensor optimizer kernels: one TorchScript call over a whole parameter list instead of a
 * handful of JNI calls per tensor. AdamW is PyTorch's fused CPU kernel {@code torch._fused_adamw_}
 * (one pass per tensor; equal to {@link AdamW#stepPerTensor} up to float32 rounding). EMA and the
 * clip use {@code torch._foreach_*} ops, which on CPU loop over the tensors calling the same ATen
 * kernels as the per-tensor DJL ops, in the same order and with the same float32 scalars, so they
 * are bit-identical to the per-tensor code (the former {@link Ema} and {@link GradClip} loops).
 *
 * <p>Loaded once per process into the system manager (TorchScript methods are thread-safe).
 */
final class ForeachKernels {
  static final String SOURCE =
      "class Foreach(Module):\n"
          + "  __parameters__ = []\n"
          + "  __buffers__ = []\n"
          + "  training : bool\n"
          + "  def forward(self: __torch__.Foreach,\n"
          + "    x: Tensor) -> Tensor:\n"
          + "    return x\n"
          + "  def adamw(self: __torch__.Foreach,\n"
          + "    params: List[Tensor],\n"
          + "    grads: List[Tensor],\n"
          + "    m: List[Tensor],\n"
          + "    v: List[Tensor],\n"
          + "    step: Tensor,\n"
          + "    hp: List[float]) -> Tensor:\n"
          + "    steps = [step for _ in params]\n"
          + "    torch._fused_adamw_(params, grads, m, v, annotate(List[Tensor], []), steps,"
          + " lr=hp[0], beta1=hp[1], beta2=hp[2], weight_decay=hp[3], eps=hp[4],"
          + " amsgrad=False, maximize=False, grad_scale=None, found_inf=None)\n"
          + "    torch._foreach_zero_(grads)\n"
          + "    return torch.zeros([1])\n"
          + "  def ema(self: __torch__.Foreach,\n"
          + "    shadow: List[Tensor],\n"
          + "    params: List[Tensor],\n"
          + "    one_minus: float) -> Tensor:\n"
          + "    d = torch._foreach_sub(shadow, params)\n"
          + "    torch._foreach_mul_(d, one_minus)\n"
          + "    torch._foreach_sub_(shadow, d)\n"
          + "    return torch.zeros([1])\n"
          + "  def sq_norms(self: __torch__.Foreach,\n"
          + "    grads: List[Tensor]) -> Tensor:\n"
          + "    return torch.stack([torch.sum(torch.square(g)) for g in grads])\n"
          + "  def scale(self: __torch__.Foreach,\n"
          + "    grads: List[Tensor],\n"
          + "    coef: float) -> Tensor:\n"
          + "    torch._foreach_mul_(grads, coef)\n"
          + "    return torch.zeros([1])\n";

  private static volatile PtSymbolBlock module;

  private ForeachKernels() {}

  static PtSymbolBlock module() {
    PtSymbolBlock m = module;
    if (m == null) {
      synchronized (ForeachKernels.class) {
        m = module;
        if (m == null) {
          NDManager sys = NDManager.newBaseManager();
          try {
            m =
                JniUtils.loadModule(
                    (PtNDManager) sys,
                    new ByteArrayInputStream(TorchScriptArchive.of("Foreach", SOURCE)),
                    false,
                    false);
          } catch (IOException e) {
            throw new UncheckedIOException("TorchScript kernel Foreach did not load", e);
          }
          module = m;
        }
      }
    }
    return m;
  }

  static IValue list(List<NDArray> arrays) {
    PtNDArray[] a = new PtNDArray[arrays.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (PtNDArray) arrays.get(i);
    }
    return IValue.listFrom(a);
  }

  /** Runs {@code method} and frees its arguments and result; returns nothing. */
  static void run(String method, IValue... args) {
    try (IValue out = IValueUtils.runMethod(module(), method, args)) {
      // result is a placeholder tensor
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  /** Runs {@code method}, frees its arguments, returns its tensor result as floats. */
  static float[] runFloats(String method, IValue... args) {
    try (NDManager tmp = NDManager.newBaseManager();
        IValue out = IValueUtils.runMethod(module(), method, args);
        PtNDArray t = out.toTensor((PtNDManager) tmp)) {
      return t.toFloatArray();
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }
}
