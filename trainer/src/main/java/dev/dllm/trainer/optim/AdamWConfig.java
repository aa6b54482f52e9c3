package dev.dllm.trainer.optim;

/**
 * AdamW hyperparameters (spec §8.1: betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on every tensor,
 * as in the scaling-law runs of Sahoo et al. 2026).
 *
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param eps added to the bias-corrected sqrt(v)
 * @param weightDecay decoupled decay, applied as {@code p <- p * (1 - lr * wd)} on all tensors
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {

  /** The paper's setting (spec §8.1). */
  public static final AdamWConfig PAPER = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);

  public AdamWConfig {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1): " + beta1 + ", " + beta2);
    }
    if (!(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("eps must be > 0 and weight decay >= 0");
    }
  }
}
