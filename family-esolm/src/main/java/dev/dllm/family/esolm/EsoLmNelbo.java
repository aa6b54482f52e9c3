package dev.dllm.family.esolm;

import dev.dllm.api.Corruption;
import dev.dllm.api.Denoiser;
import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The float64 Eso-LM bound −log p(x) ≤ L_AR + L_MDM of {@link EsoLmFamily} (spec §4.1; [SD]/[ESO]
 * algo.py {@code EsoLM}), plain and conditional (spec §11.1), both branches on every row:
 *
 * <ul>
 *   <li>L_MDM (skipped when alpha_0 = 0): w(t) Σ_{masked l} −log p(x^l | z_t), w = alpha_0 (1 − ε)
 *       / (1 − alpha_t) ({@link EsoLmSchedule#elboWeight}), in the diffusion order ({@link
 *       Orders#diffusion});
 *   <li>L_AR (skipped when alpha_0 = 1): Σ_{masked l of z_0} −log p(x^l | z_0, earlier masked x),
 *       z_0 ~ q_{alpha_0}, in the sequential order ({@link Orders#sequential}).
 * </ul>
 *
 * Given positions (conditional bound) are never corrupted, come first in every order and are never
 * scored. The draws are documented on {@link EsoLmFamily#nelbo}, {@link EsoLmFamily#nelboPerRow}
 * and {@link EsoLmFamily#conditionalNelbo}. Also the batch-split training estimator of the same two
 * branches ({@link EsoLmFamily#splitLoss}).
 */
final class EsoLmNelbo {
  private final EsoLmFamily family;

  EsoLmNelbo(EsoLmFamily family) {
    this.family = family;
  }

  /** {@link EsoLmFamily#nelbo}: z_t (when alpha_0 &gt; 0), z_0 (when alpha_0 &lt; 1), one split. */
  NllSum plain(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng) {
    int[] zt = family.alpha0() > 0 ? family.corrupt(x0, batch, length, t, specials, rng) : null;
    int[] z0 = family.alpha0() < 1 ? cleanAtZero(x0, specials, rng) : null;
    return at(denoiser, x0, zt, z0, batch, length, t, specials, rng.split());
  }

  /**
   * {@link EsoLmFamily#nelboAt}: the bound at given z_t / z_0, all orders from {@code orderRng}.
   */
  NllSum at(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int[] z0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng orderRng) {
    return bound(denoiser, x0, zt, z0, null, batch, length, t, specials, b -> orderRng);
  }

  /**
   * {@link EsoLmFamily#nelboPerRow} ({@code given} null) and {@link EsoLmFamily#conditionalNelbo}:
   * row b draws z_t, then z_0, then one split for its orders from {@code rows[b]}; given positions
   * are drawn like free ones, then put back clean.
   */
  NllSum perRow(
      Denoiser denoiser,
      int[] x0,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    Corruption.checkShapes(x0, batch, length, t, rows);
    int[] zt = family.alpha0() > 0 ? new int[x0.length] : null;
    int[] z0 = family.alpha0() < 1 ? new int[x0.length] : null;
    Rng[] orderRngs = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      int[] row = java.util.Arrays.copyOfRange(x0, b * length, (b + 1) * length);
      if (zt != null) {
        int[] z = family.corrupt(row, 1, length, new double[] {t[b]}, specials, rows[b]);
        System.arraycopy(z, 0, zt, b * length, length);
      }
      if (z0 != null) {
        System.arraycopy(cleanAtZero(row, specials, rows[b]), 0, z0, b * length, length);
      }
      orderRngs[b] = rows[b].split();
    }
    if (given != null) {
      for (int i = 0; i < x0.length; i++) {
        if (given[i]) {
          if (zt != null) {
            zt[i] = x0[i];
          }
          if (z0 != null) {
            z0[i] = x0[i];
          }
        }
      }
    }
    return bound(denoiser, x0, zt, z0, given, batch, length, t, specials, b -> orderRngs[b]);
  }

  /**
   * {@link EsoLmFamily#nelboAt} with the orders of row b drawn from {@code orderRng.apply(b)},
   * given positions ({@code given}, or null for none) first in every order; tokens = the free
   * positions.
   */
  private NllSum bound(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int[] z0,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      IntFunction<Rng> orderRng) {
    int mask = EsoLmFamily.maskId(specials);
    Corruption.checkShapes(x0, batch, length, t);
    double total = 0;
    if (zt != null) {
      int[][] orders = new int[batch][];
      for (int b = 0; b < batch; b++) {
        orders[b] = Orders.diffusion(zt, b * length, length, mask, given, orderRng.apply(b));
      }
      EsoLmLosses.TokenLosses mdm =
          EsoLmLosses.diffusion(denoiser, x0, zt, orders, batch, length, mask);
      for (int b = 0; b < batch; b++) {
        double row = mdm.rowSum(b);
        if (row != 0) { // nothing masked: exactly 0, also at t = 0
          total += family.schedule().elboWeight(t[b]) * row;
        }
      }
    }
    if (z0 != null) {
      total += arSum(denoiser, x0, z0, given, batch, length, mask, orderRng);
    }
    long tokens = (long) batch * length;
    if (given != null) {
      for (boolean g : given) {
        tokens -= g ? 1 : 0;
      }
    }
    return new NllSum(total, tokens);
  }

  private double arSum(
      Denoiser denoiser,
      int[] x0,
      int[] z0,
      boolean[] given,
      int batch,
      int length,
      int mask,
      IntFunction<Rng> orderRng) {
    int[][] orders = new int[batch][];
    for (int b = 0; b < batch; b++) {
      orders[b] = Orders.sequential(z0, b * length, length, mask, given, orderRng.apply(b));
    }
    EsoLmLosses.TokenLosses ar =
        EsoLmLosses.sequential(denoiser, x0, z0, orders, batch, length, mask);
    double total = 0;
    for (int b = 0; b < batch; b++) {
      total += ar.rowSum(b);
    }
    return total;
  }

  /**
   * {@link EsoLmFamily#splitLoss}: the batch-split training estimator of [SD]/[ESO] {@code
   * EsoLM._loss}, rows [0, n) for L_MDM (weights of {@link EsoLmBatch}), rows [n, B) for L_AR.
   */
  EsoLmFamily.SplitLoss splitLoss(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng,
      boolean lowVar) {
    EsoLmBatch eb = EsoLmBatch.draw(family, x0, batch, length, t, specials, rng, lowVar);
    int mask = eb.mask();
    int diffRows = eb.diffusionRows();
    int arRows = eb.arRows();
    int[] xd = Arrays.copyOfRange(x0, 0, diffRows * length);
    int[] xa = Arrays.copyOfRange(x0, diffRows * length, batch * length);
    double diff = 0;
    if (diffRows > 0) {
      EsoLmLosses.TokenLosses mdm =
          EsoLmLosses.diffusion(
              denoiser, xd, eb.zt(), eb.diffusionOrders(), diffRows, length, mask);
      for (int b = 0; b < diffRows; b++) {
        double row = mdm.rowSum(b);
        if (row != 0) {
          diff += eb.weights()[b] * row;
        }
      }
    }
    double ar = 0;
    if (arRows > 0) {
      EsoLmLosses.TokenLosses seq =
          EsoLmLosses.sequential(denoiser, xa, eb.z0(), eb.arOrders(), arRows, length, mask);
      for (int b = 0; b < arRows; b++) {
        ar += seq.rowSum(b);
      }
    }
    return new EsoLmFamily.SplitLoss(diff, (long) diffRows * length, ar, (long) arRows * length);
  }

  /** z_0 ~ q_{alpha_0}(. | x0): each token masked with probability 1 − alpha_0. */
  private int[] cleanAtZero(int[] x0, SpecialTokens specials, Rng rng) {
    int mask = EsoLmFamily.maskId(specials);
    int[] z0 = x0.clone();
    double move = 1 - family.alpha0();
    for (int i = 0; i < z0.length; i++) {
      if (move == 1 || rng.uniform() < move) {
        z0[i] = mask;
      }
    }
    return z0;
  }
}
