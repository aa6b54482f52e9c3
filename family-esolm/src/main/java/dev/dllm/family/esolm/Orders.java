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
    return diffusion(z, off, len, mask, null, rng);
  }

  /**
   * Sequential-branch order of one row: clean tokens first in random order, then the masked tokens
   * left to right ({@code keep_masks_unshuffled}).
   */
  public static int[] sequential(int[] z, int off, int len, int mask, Rng rng) {
    return sequential(z, off, len, mask, null, rng);
  }

  /**
   * Sampling order (spec §4.4): a uniform random permutation whose tail after the first {@code
   * diffusionTokens} entries is sorted ascending, so the sequential phase runs left to right.
   */
  public static int[] sampling(int len, int diffusionTokens, Rng rng) {
    return sampling(null, 0, len, diffusionTokens, rng);
  }

  /**
   * Conditional sampling order of one row (spec §11.1, "Eso-LM: given positions come first in the
   * order"): the given positions first, left to right (they are already decoded, and a prompt's
   * cache then depends on the prompt alone), then the free positions in a uniform random order
   * whose tail after the first {@code diffusionTokens} free entries is sorted ascending (the
   * sequential phase runs left to right over the free positions). With nothing given it draws
   * exactly what {@link #sampling(int, int, Rng)} draws.
   *
   * @param given {@code given[off + l]} true where position l of the row is given, or null (none)
   * @param diffusionTokens free tokens produced by the diffusion phase, 0 &lt;= it &lt;= free count
   * @return {@code [len]} original positions in sorted order
   */
  public static int[] sampling(boolean[] given, int off, int len, int diffusionTokens, Rng rng) {
    int[] order = givenFirst(given, off, len);
    int g = countGiven(given, off, len);
    shuffle(order, g, len, rng);
    Arrays.sort(order, g + diffusionTokens, len);
    return order;
  }

  /**
   * Diffusion-branch order of one row with given (prompt) positions: the given positions first,
   * left to right as the sampler feeds them ({@link #sampling(boolean[], int, int, int, Rng)}),
   * then the other clean tokens in random order, then the masked tokens in random order. With
   * {@code given} null it draws exactly what {@link #diffusion(int[], int, int, int, Rng)} draws.
   *
   * @param given {@code given[off + l]}, or null; a given position must be clean in {@code z}
   */
  public static int[] diffusion(int[] z, int off, int len, int mask, boolean[] given, Rng rng) {
    int[] order = givenCleanMasked(z, off, len, mask, given);
    int g = countGiven(given, off, len);
    int clean = countClean(z, off, len, mask);
    shuffle(order, g, clean, rng);
    shuffle(order, clean, len, rng);
    return order;
  }

  /**
   * Sequential-branch order of one row with given positions: the given positions first (left to
   * right), the other clean tokens in random order, then the masked tokens left to right. With
   * {@code given} null it draws exactly what {@link #sequential(int[], int, int, int, Rng)} draws.
   */
  public static int[] sequential(int[] z, int off, int len, int mask, boolean[] given, Rng rng) {
    int[] order = givenCleanMasked(z, off, len, mask, given);
    shuffle(order, countGiven(given, off, len), countClean(z, off, len, mask), rng);
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

  /** Given positions ascending, then the free ones ascending. */
  private static int[] givenFirst(boolean[] given, int off, int len) {
    int[] order = new int[len];
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (int l = 0; l < len; l++) {
        boolean g = given != null && given[off + l];
        if (g == (pass == 0)) {
          order[n++] = l;
        }
      }
    }
    return order;
  }

  /** Given positions, then the other clean ones, then the masked ones, each group ascending. */
  private static int[] givenCleanMasked(int[] z, int off, int len, int mask, boolean[] given) {
    int[] order = new int[len];
    int n = 0;
    for (int pass = 0; pass < 3; pass++) {
      for (int l = 0; l < len; l++) {
        boolean g = given != null && given[off + l];
        if (g && z[off + l] == mask) {
          throw new IllegalArgumentException("given position " + l + " is masked");
        }
        int group = g ? 0 : z[off + l] != mask ? 1 : 2;
        if (group == pass) {
          order[n++] = l;
        }
      }
    }
    return order;
  }

  private static int countGiven(boolean[] given, int off, int len) {
    int n = 0;
    if (given != null) {
      for (int l = 0; l < len; l++) {
        n += given[off + l] ? 1 : 0;
      }
    }
    return n;
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
