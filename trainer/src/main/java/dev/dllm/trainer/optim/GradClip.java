package dev.dllm.trainer.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

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
      for (NDArray p : params) {
        try (NDArray g = p.getGradient()) {
          g.muli((float) coef);
        }
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
