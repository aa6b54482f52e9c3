package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}: the L2 norm over all
 * gradients together, then every gradient is scaled by {@code maxNorm / (norm + 1e-6)} when that is
 * below 1 (spec §8.1, clip 1.0). DJL's own {@code optClipGrad} is elementwise and one-sided, so it
 * is not used (ecosystem.md §1).
 */
public final class GradClip {
  private GradClip() {}

  /**
   * The global L2 norm of the gradients of {@code params}, accumulated in float64 across tensors.
   */
  public static double globalNorm(Collection<NDArray> params) {
    try (NDManager tmp = NDManager.newBaseManager()) {
      float[] sq = ForeachKernels.runFloats("sq_norms", ForeachKernels.list(grads(params, tmp)));
      double sum = 0;
      for (float s : sq) {
        sum += s;
      }
      return Math.sqrt(sum);
    }
  }

  private static List<NDArray> grads(Collection<NDArray> params, NDManager tmp) {
    List<NDArray> gs = new ArrayList<>(params.size());
    for (NDArray p : params) {
      NDArray g = p.getGradient();
      g.attach(tmp);
      gs.add(g);
    }
    return gs;
  }

  /** The same norm tensor by tensor (DJL ops): the oracle of {@link #globalNorm}. */
  static double globalNormPerTensor(Collection<NDArray> params) {
    double sum = 0;
    for (NDArray p : params) {
      try (NDArray g = p.getGradient();
          NDArray sq = g.square();
          NDArray s = sq.sum()) {
        sum += s.getFloat();
      }
    }
    return Math.sqrt(sum);
  }

  /**
   * Clips in place.
   *
   * @return the norm before clipping (may be NaN or infinite; then nothing is scaled)
   */
  public static double clip(Collection<NDArray> params, double maxNorm) {
    double norm = globalNorm(params);
    double coef = maxNorm / (norm + 1e-6);
    if (Double.isFinite(norm) && coef < 1) {
      try (NDManager tmp = NDManager.newBaseManager()) {
        ForeachKernels.run(
            "scale", ForeachKernels.list(grads(params, tmp)), IValue.from((double) (float) coef));
      }
    }
    return norm;
  }

  /**
   * The name of the first parameter (in the map's order) whose gradient holds a NaN or infinity, or
   * null when every gradient is finite.
   */
  public static String firstNonFinite(java.util.Map<String, NDArray> params) {
    for (java.util.Map.Entry<String, NDArray> e : params.entrySet()) {
      try (NDArray g = e.getValue().getGradient();
          NDArray sq = g.square();
          NDArray s = sq.sum()) {
        if (!Float.isFinite(s.getFloat())) {
          return e.getKey();
        }
      }
    }
    return null;
  }
}
