package dev.dllm.family.esolm;

import dev.dllm.api.sample.Rng;
import java.util.Arrays;

/**
 * Eso-LM orderings ({@code sort_idx}, spec §4.2; [SD] algo.py {@code EsoLM._sort_indices}) and the
 * permutation bookkeeping of per-token values.
 *
 * <p>An order is an int array with {@code order[j]} = the original position of the token fed at
 * sorted index j. {@link #gather} takes original-frame values to the sorted frame, {@link #scatter}
 * brings them back. Per-token losses and validity masks must go through the <i>same</i> map (spec
 * §10.11); mixing frames silently scores the wrong tokens.
 *
 * <p>The reference draws the order as argsort(is_mask + 0.9·U); that is a uniformly random order of
 * the clean tokens followed by a uniformly random order of the masked ones, which is what {@link
 * #diffusion} draws directly (Fisher–Yates per group).
 */
public final class Orders {
  private Orders() {}

  /**
   * Diffusion-branch order of one row: clean tokens first in random order, then the masked tokens
   * in random order.
   *
   * @param z the row's tokens {@code z[off .. off + len)}
   * @return {@code [L]} original positions in sorted order
   */
  public static int[] diffusion(int[] z, int off, int len, int mask, Rng rng) {
    int[] order = cleanFirst(z, off, len, mask);
    int clean = countClean(z, off, len, mask);
    shuffle(order, 0, clean, rng);
    shuffle(order, clean, len, rng);
    return order;
  }

  /**
   * Sequential-branch order of one row: clean tokens first in random order, then the masked tokens
   * left to right ({@code keep_masks_unshuffled}).
   */
  public static int[] sequential(int[] z, int off, int len, int mask, Rng rng) {
    int[] order = cleanFirst(z, off, len, mask);
    shuffle(order, 0, countClean(z, off, len, mask), rng);
    return order;
  }

  /**
   * Sampling order (spec §4.4): a uniform random permutation whose tail after the first {@code
   * diffusionTokens} entries is sorted ascending, so the sequential phase runs left to right.
   */
  public static int[] sampling(int len, int diffusionTokens, Rng rng) {
    int[] order = new int[len];
    for (int i = 0; i < len; i++) {
      order[i] = i;
    }
    shuffle(order, 0, len, rng);
    Arrays.sort(order, diffusionTokens, len);
    return order;
  }

  /**
   * The inverse permutation: {@code inverse[order[j]] = j} (the rank of each original position).
   */
  public static int[] inverse(int[] order) {
    int[] inv = new int[order.length];
    Arrays.fill(inv, -1);
    for (int j = 0; j < order.length; j++) {
      if (order[j] < 0 || order[j] >= order.length || inv[order[j]] >= 0) {
        throw new IllegalArgumentException("not a permutation: " + Arrays.toString(order));
      }
      inv[order[j]] = j;
    }
    return inv;
  }

  /** Original frame to sorted frame: {@code out[j] = values[order[j]]}. */
  public static double[] gather(double[] values, int[] order) {
    double[] out = new double[order.length];
    for (int j = 0; j < order.length; j++) {
      out[j] = values[order[j]];
    }
    return out;
  }

  /** Sorted frame back to the original frame: {@code out[order[j]] = sorted[j]}. */
  public static double[] scatter(double[] sorted, int[] order) {
    double[] out = new double[order.length];
    for (int j = 0; j < order.length; j++) {
      out[order[j]] = sorted[j];
    }
    return out;
  }

  /** Σ_i loss[i] · valid[i] (both in the same frame). */
  public static double maskedSum(double[] loss, double[] valid) {
    if (loss.length != valid.length) {
      throw new IllegalArgumentException(
          "loss has " + loss.length + " entries, valid has " + valid.length);
    }
    double s = 0;
    for (int i = 0; i < loss.length; i++) {
      if (valid[i] != 0) {
        s += loss[i] * valid[i];
      }
    }
    return s;
  }

  private static int[] cleanFirst(int[] z, int off, int len, int mask) {
    int[] order = new int[len];
    int n = 0;
    for (int l = 0; l < len; l++) {
      if (z[off + l] != mask) {
        order[n++] = l;
      }
    }
    for (int l = 0; l < len; l++) {
      if (z[off + l] == mask) {
        order[n++] = l;
      }
    }
    return order;
  }

  private static int countClean(int[] z, int off, int len, int mask) {
    int n = 0;
    for (int l = 0; l < len; l++) {
      if (z[off + l] != mask) {
        n++;
      }
    }
    return n;
  }

  /** Fisher–Yates on a[from .. to). */
  private static void shuffle(int[] a, int from, int to, Rng rng) {
    for (int i = to - 1; i > from; i--) {
      int j = from + rng.nextInt(i - from + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }
}
