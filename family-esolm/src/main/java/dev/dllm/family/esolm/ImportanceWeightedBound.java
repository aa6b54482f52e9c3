package dev.dllm.family.esolm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;

/**
 * The importance-weighted likelihood estimate of [ESO] ({@code eval.num_iw_orders = K}; algo.py
 * {@code _importance_weighted_loss}, {@code _any_order_ar_loss}; spec §4.5). For each of K orders
 * per row: n_diff ~ Binomial(L, alpha_0) and a uniform permutation whose tail after n_diff is
 * sorted ascending (the sampler's order, {@link Orders#sampling}); ℓ_k = the exact any-order AR
 * log-likelihood of the row in that order, in one pass of the sequential branch with an all-mask z
 * half ({@link EsoLmLosses#sequential}). Per row log p ≈ logsumexp_k ℓ_k − log K. Not in [SD].
 */
public final class ImportanceWeightedBound {
  private ImportanceWeightedBound() {}

  /**
   * @param orders K &gt;= 1
   * @return −Σ_rows log p̂ in nats over B·L positions
   */
  public static NllSum estimate(
      EsoLmFamily family,
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      int orders,
      SpecialTokens specials,
      Rng rng) {
    if (orders < 1) {
      throw new IllegalArgumentException("the importance-weighted bound needs K >= 1 orders");
    }
    if (x0.length != batch * length) {
      throw new IllegalArgumentException("x0 must be [" + batch + ", " + length + "]");
    }
    int mask = EsoLmFamily.maskId(specials);
    int[] allMask = new int[batch * length];
    Arrays.fill(allMask, mask);
    double[][] ll = new double[batch][orders];
    for (int k = 0; k < orders; k++) {
      int[][] o = new int[batch][];
      for (int b = 0; b < batch; b++) {
        int diffusion = 0;
        for (int l = 0; l < length; l++) {
          if (rng.uniform() < family.alpha0()) {
            diffusion++;
          }
        }
        o[b] = Orders.sampling(length, diffusion, rng);
      }
      EsoLmLosses.TokenLosses losses =
          EsoLmLosses.sequential(denoiser, x0, allMask, o, batch, length, mask);
      for (int b = 0; b < batch; b++) {
        ll[b][k] = -losses.rowSum(b);
      }
    }
    double nll = 0;
    for (int b = 0; b < batch; b++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : ll[b]) {
        max = Math.max(max, v);
      }
      double s = 0;
      for (double v : ll[b]) {
        s += Math.exp(v - max);
      }
      nll -= max + Math.log(s) - Math.log(orders);
    }
    return new NllSum(nll, (long) batch * length);
  }
}
