package dev.dllm.api;

import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * Family-neutral plumbing of the forward process (spec §1.5) that {@link DiffusionFamily}
 * implementations share: the shape checks of {@link DiffusionFamily#corrupt} and {@link
 * DiffusionFamily#nelbo}, the mask id a masking family needs, and absorbing-state corruption under
 * any {@link NoiseSchedule}. Token batches are row-major {@code int[B * L]}.
 */
public final class Corruption {
  private Corruption() {}

  /**
   * Absorbing-state corruption (spec §1.5): each token of row b is replaced by {@code mask} with
   * probability 1 − alpha(t_b), independently; one {@link Rng#uniform()} per token in row-major
   * order (so the same Rng gives the same z_t under any schedule with the same alpha).
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param t one time per row {@code [B]}
   * @return z_t {@code [B, L]}, a copy
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   */
  public static int[] absorbing(
      int[] x0, int batch, int length, double[] t, NoiseSchedule schedule, int mask, Rng rng) {
    checkShapes(x0, batch, length, t);
    int[] zt = x0.clone();
    for (int b = 0; b < batch; b++) {
      double move = 1 - schedule.alpha(t[b]);
      for (int l = 0; l < length; l++) {
        if (rng.uniform() < move) {
          zt[b * length + l] = mask;
        }
      }
    }
    return zt;
  }

  /**
   * Checks that {@code x0} is {@code [B, L]} and {@code t} is {@code [B]}.
   *
   * @throws IllegalArgumentException naming the expected shape
   */
  public static void checkShapes(int[] x0, int batch, int length, double[] t) {
    if (x0.length != (long) batch * length) {
      throw new IllegalArgumentException(
          "x0 has " + x0.length + " ids, expected [" + batch + ", " + length + "]");
    }
    if (t == null || t.length != batch) {
      throw new IllegalArgumentException("need one time per row: [" + batch + "]");
    }
  }

  /**
   * {@link #checkShapes(int[], int, int, double[])}, and one stream per row.
   *
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   */
  public static void checkShapes(int[] x0, int batch, int length, double[] t, Rng[] rows) {
    checkShapes(x0, batch, length, t);
    if (rows == null || rows.length != batch) {
      throw new IllegalArgumentException("need one Rng per row: [" + batch + "]");
    }
  }

  /**
   * {@link #checkShapes(int[], int, int, double[], Rng[])}, and a given mask {@code [B, L]} like x0
   * (the conditional NELBO of the diffusion families).
   *
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   */
  public static void checkShapes(
      int[] x0, boolean[] given, int batch, int length, double[] t, Rng[] rows) {
    checkShapes(x0, batch, length, t, rows);
    if (given == null || given.length != x0.length) {
      throw new IllegalArgumentException(
          "given must be ["
              + batch
              + ", "
              + length
              + "] like x0, got "
              + (given == null ? "null" : given.length + " entries"));
    }
  }

  /**
   * {@link #checkShapes(int[], int, int, double[])}, and that z_t has as many ids as x0.
   *
   * @throws IllegalArgumentException naming the mismatch
   */
  public static void checkShapes(int[] x0, int[] zt, int batch, int length, double[] t) {
    checkShapes(x0, batch, length, t);
    if (zt.length != x0.length) {
      throw new IllegalArgumentException("z_t has " + zt.length + " ids, x0 has " + x0.length);
    }
  }

  /** One row's corruption, {@code [1, L]} in and out, with that row's own stream. */
  @FunctionalInterface
  public interface RowCorruption {
    /**
     * @param row clean tokens {@code [1, L]}
     * @param t the row's time {@code [1]}
     * @param rng the row's own stream
     * @return z_t {@code [1, L]}
     */
    int[] corrupt(int[] row, double[] t, Rng rng);
  }

  /**
   * z_t of a batch whose row b draws from its own stream {@code rows[b]} (row b's z_t does not
   * depend on which rows share its batch, so an evaluation is the same at any batch size).
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param t one time per row {@code [B]}
   * @param rows one stream per row {@code [B]}
   * @return z_t {@code [B, L]}, a copy
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   */
  public static int[] perRow(
      int[] x0, int batch, int length, double[] t, Rng[] rows, RowCorruption corruption) {
    checkShapes(x0, batch, length, t, rows);
    int[] zt = new int[x0.length];
    for (int b = 0; b < batch; b++) {
      int[] row = java.util.Arrays.copyOfRange(x0, b * length, (b + 1) * length);
      int[] z = corruption.corrupt(row, new double[] {t[b]}, rows[b]);
      System.arraycopy(z, 0, zt, b * length, length);
    }
    return zt;
  }

  /**
   * The mask id of a family that needs one.
   *
   * @param family the family's registry name, for the message
   * @throws InvalidInputException when the tokenizer has no mask id
   */
  public static int maskId(SpecialTokens specials, String family) {
    if (!specials.hasMask()) {
      throw new InvalidInputException("the " + family + " family needs a tokenizer with a mask id");
    }
    return specials.mask();
  }
}
