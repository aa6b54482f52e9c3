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
 * handful of JNI calls per tensor, through PyTorch's {@code torch._foreach_*} ops. On CPU those
 * loop over the tensors calling the same ATen kernels as the per-tensor DJL ops, in the same order
 * and with the same float32 scalars, so the results are bit-identical to the per-tensor code
 * ({@link AdamW#stepPerTensor}, the former {@link Ema} and {@link GradClip} loops).
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
          + "    scalars: List[float],\n"
          + "    decay_on: bool) -> Tensor:\n"
          + "    if decay_on:\n"
          + "      torch._foreach_mul_(params, scalars[0])\n"
          + "    torch._foreach_mul_(m, scalars[1])\n"
          + "    torch._foreach_add_(m, torch._foreach_mul(grads, scalars[2]))\n"
          + "    torch._foreach_mul_(v, scalars[3])\n"
          + "    sq = torch._foreach_mul(grads, grads)\n"
          + "    torch._foreach_mul_(sq, scalars[4])\n"
          + "    torch._foreach_add_(v, sq)\n"
          + "    denom = torch._foreach_sqrt(v)\n"
          + "    torch._foreach_div_(denom, scalars[5])\n"
          + "    torch._foreach_add_(denom, scalars[6])\n"
          + "    upd = torch._foreach_div(m, denom)\n"
          + "    torch._foreach_mul_(upd, scalars[7])\n"
          + "    torch._foreach_sub_(params, upd)\n"
          + "    torch._foreach_sub_(grads, grads)\n"
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
