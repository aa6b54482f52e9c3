package dev.dllm.family.esolm;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;

/**
 * One training batch of the batch-split estimator (spec §4.1; [SD]/[ESO] {@code EsoLM._loss}),
 * drawn in pure Java and laid out for an engine: rows [0, n) are diffusion rows (z_t at their
 * times, diffusion orders), rows [n, B) are AR rows (z_0 ~ q_{alpha_0}, sequential orders). The
 * random draws are z_t, then z_0, then the orders from one split of the Rng (the order {@link
 * EsoLmFamily#splitLoss} uses).
 *
 * <p>Engine inputs are in sorted order: {@link #diffusionInput()} {@code [n, L]} with {@link
 * #diffusionLayout()} (sorted-causal, rotary = original positions) and {@link #arInput()} {@code [B
 * − n, 2L]} (two-stream) with {@link #arLayout()}; the targets and validity of the first L outputs
 * are {@link #diffusionTargets()}/{@link #diffusionValid()} and {@link #arTargets()}/{@link
 * #arValid()}, also in sorted order.
 *
 * @param x0 clean tokens {@code [B, L]} (original frame)
 * @param zt z_t of the diffusion rows {@code [n, L]} (original frame)
 * @param z0 z_0 of the AR rows {@code [B − n, L]} (original frame)
 * @param weights per diffusion row: w(t) for {@code elbo}, 1 for {@code low_var} {@code [n]}
 */
public record EsoLmBatch(
    int batch,
    int length,
    int mask,
    int diffusionRows,
    int[] x0,
    int[] zt,
    int[] z0,
    int[][] diffusionOrders,
    int[][] arOrders,
    double[] weights) {

  /**
   * Draws a batch.
   *
   * @param t times of the diffusion rows; only {@code t[0 .. n)} are read ({@code [B]})
   * @param lowVar weight 1 instead of the ELBO weight (training only)
   */
  public static EsoLmBatch draw(
      EsoLmFamily family,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng,
      boolean lowVar) {
    int mask = EsoLmFamily.maskId(specials);
    if (x0.length != batch * length || t == null || t.length != batch) {
      throw new IllegalArgumentException(
          "x0 must be [" + batch + ", " + length + "] and t [" + batch + "]");
    }
    double alpha0 = family.alpha0();
    int n = alpha0 == 1 ? batch : alpha0 == 0 ? 0 : (int) Math.floor(family.batchSplit() * batch);
    int[] xd = Arrays.copyOfRange(x0, 0, n * length);
    double[] td = Arrays.copyOf(t, n);
    int[] zt = family.corrupt(xd, n, length, td, specials, rng);
    int[] z0 = Arrays.copyOfRange(x0, n * length, batch * length);
    double move = 1 - alpha0;
    for (int i = 0; i < z0.length; i++) {
      if (move == 1 || rng.uniform() < move) {
        z0[i] = mask;
      }
    }
    Rng orderRng = rng.split();
    int[][] dOrders = new int[n][];
    for (int b = 0; b < n; b++) {
      dOrders[b] = Orders.diffusion(zt, b * length, length, mask, orderRng);
    }
    int[][] aOrders = new int[batch - n][];
    for (int b = 0; b < batch - n; b++) {
      aOrders[b] = Orders.sequential(z0, b * length, length, mask, orderRng);
    }
    double[] w = new double[n];
    for (int b = 0; b < n; b++) {
      w[b] = lowVar ? 1 : family.schedule().elboWeight(td[b]);
    }
    return new EsoLmBatch(batch, length, mask, n, x0.clone(), zt, z0, dOrders, aOrders, w);
  }

  /** Number of AR rows B − n. */
  public int arRows() {
    return batch - diffusionRows;
  }

  /** Sorted z_t {@code [n, L]}. */
  public int[] diffusionInput() {
    return sorted(zt, diffusionOrders, 0);
  }

  /** Sorted-causal, rotary positions = original positions {@code [n, L]}. */
  public AttentionLayout diffusionLayout() {
    return EsoLmLayouts.diffusion(diffusionOrders);
  }

  /** Sorted targets x0 of the diffusion rows {@code [n, L]}. */
  public int[] diffusionTargets() {
    return sorted(x0, diffusionOrders, 0);
  }

  /** 1 where the sorted z_t is the mask {@code [n, L]}. */
  public float[] diffusionValid() {
    return valid(diffusionInput());
  }

  /** Two-stream input [z_0 sorted ; x0 sorted] {@code [B − n, 2L]}. */
  public int[] arInput() {
    int[] zs = sorted(z0, arOrders, 0);
    int[] xs = sorted(x0, arOrders, diffusionRows);
    int[] out = new int[arRows() * 2 * length];
    for (int b = 0; b < arRows(); b++) {
      System.arraycopy(zs, b * length, out, b * 2 * length, length);
      System.arraycopy(xs, b * length, out, b * 2 * length + length, length);
    }
    return out;
  }

  /** The two-stream layout {@code [B − n, 2L]} ({@link EsoLmLayouts#sequential}). */
  public AttentionLayout arLayout() {
    return EsoLmLayouts.sequential(arOrders);
  }

  /** Sorted targets x0 of the AR rows {@code [B − n, L]} (for the first L outputs). */
  public int[] arTargets() {
    return sorted(x0, arOrders, diffusionRows);
  }

  /** 1 where the sorted z_0 is the mask {@code [B − n, L]}. */
  public float[] arValid() {
    return valid(sorted(z0, arOrders, 0));
  }

  private int[] sorted(int[] ids, int[][] orders, int rowOffset) {
    int[] out = new int[orders.length * length];
    for (int b = 0; b < orders.length; b++) {
      for (int j = 0; j < length; j++) {
        out[b * length + j] = ids[(rowOffset + b) * length + orders[b][j]];
      }
    }
    return out;
  }

  private float[] valid(int[] sortedIds) {
    float[] v = new float[sortedIds.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = sortedIds[i] == mask ? 1f : 0f;
    }
    return v;
  }
}
