package dev.dllm.api.sample;

import dev.dllm.api.InvalidInputException;
import java.util.Arrays;
import java.util.List;

/**
 * Which positions of each row are given and which a sampler generates: the conditioning seam of
 * every family (a prompt prefix, fixed tokens around one or several gaps, or nothing at all).
 * Immutable; row-major {@code [B, L]} with {@link #FREE} at generated positions and the given token
 * id elsewhere. Rows of one batch may have different prompts and prompt lengths.
 *
 * <p>{@code L} is the length of the rows the sampler returns: the block the denoiser sees, or for
 * semi-autoregressive MDLM ({@code strides=N}, {@code stride_length=S}) the whole output L + N·S,
 * whose given prefix may be longer than one block.
 *
 * <p>What "given" means is the family's business (DESIGN.md, "Conditioning"): AR prefills it
 * through the KV cache and only accepts a prefix ({@link Sampler#supportsInfill()}); MDLM keeps it
 * clean from the start and carries it over (SUBS); Duo clamps it at every step; Eso-LM treats it as
 * already decoded. Every family returns given ids verbatim at their positions.
 */
public final class Conditioning {
  /** Marks a position the sampler generates. */
  public static final int FREE = -1;

  private final int[] ids;
  private final int batch;
  private final int length;

  private Conditioning(int[] ids, int batch, int length) {
    this.ids = ids;
    this.batch = batch;
    this.length = length;
  }

  /**
   * Given ids per position.
   *
   * @param ids {@code [B, L]} row-major: {@link #FREE} or a token id &gt;= 0; copied
   * @throws IllegalArgumentException when the sizes do not match or an entry is below {@link #FREE}
   */
  public static Conditioning of(int[] ids, int batch, int length) {
    if (batch < 1 || length < 1 || ids.length != (long) batch * length) {
      throw new IllegalArgumentException(
          "conditioning ["
              + batch
              + ", "
              + length
              + "] needs "
              + (long) batch * length
              + " entries, got "
              + ids.length);
    }
    for (int id : ids) {
      if (id < FREE) {
        throw new IllegalArgumentException(
            "conditioning entry " + id + " is neither FREE nor an id");
      }
    }
    return new Conditioning(ids.clone(), batch, length);
  }

  /** Nothing given: unconditional sampling of {@code [B, L]}. */
  public static Conditioning none(int batch, int length) {
    int[] ids = new int[Math.multiplyExact(batch, length)];
    Arrays.fill(ids, FREE);
    return of(ids, batch, length);
  }

  /**
   * One row per prompt, each prompt given at positions 0 … P_b − 1 and the rest free.
   *
   * @param prompts token ids per row (may differ in length, may be empty)
   * @param length row length L
   * @throws InvalidInputException when a prompt does not leave a free position in L
   */
  public static Conditioning prefixes(List<int[]> prompts, int length) {
    int batch = prompts.size();
    int[] ids = new int[Math.multiplyExact(batch, length)];
    Arrays.fill(ids, FREE);
    for (int b = 0; b < batch; b++) {
      int[] p = prompts.get(b);
      if (p.length >= length) {
        throw new InvalidInputException(
            "prompt "
                + b
                + " has "
                + p.length
                + " tokens; a row of "
                + length
                + " tokens leaves none to generate");
      }
      System.arraycopy(p, 0, ids, b * length, p.length);
    }
    return of(ids, batch, length);
  }

  /**
   * Fill-in-the-middle for one row: {@code prefix}, then {@code middle} free positions, then {@code
   * suffix}, then {@code tail} (for example EOS ids padding the block), L = the sum.
   */
  public static Conditioning infill(int[] prefix, int middle, int[] suffix, int[] tail) {
    if (middle < 1) {
      throw new InvalidInputException("the gap to fill must be >= 1 token, got " + middle);
    }
    int length = prefix.length + middle + suffix.length + tail.length;
    int[] ids = new int[length];
    Arrays.fill(ids, FREE);
    System.arraycopy(prefix, 0, ids, 0, prefix.length);
    System.arraycopy(suffix, 0, ids, prefix.length + middle, suffix.length);
    System.arraycopy(tail, 0, ids, prefix.length + middle + suffix.length, tail.length);
    return of(ids, 1, length);
  }

  /** Rows stacked in order; all must have the same L. */
  public static Conditioning stack(List<Conditioning> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no rows to stack");
    }
    int length = rows.get(0).length;
    int batch = 0;
    for (Conditioning c : rows) {
      if (c.length != length) {
        throw new IllegalArgumentException(
            "rows to stack have lengths " + length + " and " + c.length);
      }
      batch += c.batch;
    }
    int[] ids = new int[batch * length];
    int at = 0;
    for (Conditioning c : rows) {
      System.arraycopy(c.ids, 0, ids, at, c.ids.length);
      at += c.ids.length;
    }
    return new Conditioning(ids, batch, length);
  }

  /** The given positions of {@code x0 [B, L]} where {@code given [B, L]} is true. */
  public static Conditioning fromMask(int[] x0, boolean[] given, int batch, int length) {
    if (given.length != x0.length) {
      throw new IllegalArgumentException(
          "mask has " + given.length + " entries for " + x0.length + " tokens");
    }
    int[] ids = new int[x0.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = given[i] ? x0[i] : FREE;
    }
    return of(ids, batch, length);
  }

  /** B, the number of rows. */
  public int batch() {
    return batch;
  }

  /** L, the length of every row. */
  public int length() {
    return length;
  }

  /** Whether position {@code l} of row {@code b} is given. */
  public boolean isGiven(int b, int l) {
    return ids[b * length + l] != FREE;
  }

  /** The given id at {@code (b, l)}, or {@link #FREE}. */
  public int id(int b, int l) {
    return ids[b * length + l];
  }

  /** A copy of the {@code [B, L]} entries ({@link #FREE} or an id). */
  public int[] ids() {
    return ids.clone();
  }

  /** {@code [B, L]} true where given (the loss mask of conditional likelihood). */
  public boolean[] givenMask() {
    boolean[] m = new boolean[ids.length];
    for (int i = 0; i < ids.length; i++) {
      m[i] = ids[i] != FREE;
    }
    return m;
  }

  /** Whether no position of any row is given. */
  public boolean isEmpty() {
    for (int id : ids) {
      if (id != FREE) {
        return false;
      }
    }
    return true;
  }

  /** Number of leading given positions of row {@code b} (its prompt length P_b). */
  public int prefixLength(int b) {
    int p = 0;
    while (p < length && ids[b * length + p] != FREE) {
      p++;
    }
    return p;
  }

  /** Number of given positions of row {@code b}. */
  public int givenCount(int b) {
    int n = 0;
    for (int l = 0; l < length; l++) {
      n += ids[b * length + l] != FREE ? 1 : 0;
    }
    return n;
  }

  /**
   * The first position of row {@code b} that is given after a free one, or -1 when the row's given
   * positions are a prefix.
   */
  public int firstGivenAfterFree(int b) {
    int p = prefixLength(b);
    for (int l = p; l < length; l++) {
      if (ids[b * length + l] != FREE) {
        return l;
      }
    }
    return -1;
  }

  /** Whether every row's given positions form a prefix. */
  public boolean isPrefixOnly() {
    for (int b = 0; b < batch; b++) {
      if (firstGivenAfterFree(b) >= 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Refuses given positions that follow a free one (families that only continue a prefix, AR).
   *
   * @throws InvalidInputException naming the row and position
   */
  public void requirePrefixOnly(String family) {
    for (int b = 0; b < batch; b++) {
      int l = firstGivenAfterFree(b);
      if (l >= 0) {
        throw new InvalidInputException(
            "family "
                + family
                + " only continues a prompt prefix, but row "
                + b
                + " has a given token at position "
                + l
                + " after a free position "
                + prefixLength(b)
                + " (a suffix or gap needs a diffusion family)");
      }
    }
  }

  /** Row {@code b} alone, {@code [1, L]}. */
  public Conditioning row(int b) {
    return new Conditioning(Arrays.copyOfRange(ids, b * length, (b + 1) * length), 1, length);
  }

  /**
   * Writes the given ids into {@code x [B, L]} and {@code fill} at free positions.
   *
   * @return x
   */
  public int[] fill(int[] x, int fill) {
    if (x.length != ids.length) {
      throw new IllegalArgumentException(
          "tokens have " + x.length + " entries, conditioning " + ids.length);
    }
    for (int i = 0; i < ids.length; i++) {
      x[i] = ids[i] == FREE ? fill : ids[i];
    }
    return x;
  }

  /**
   * Checks every given id is in [0, vocab) and differs from {@code mask}.
   *
   * @throws InvalidInputException naming row, position and id
   */
  public void checkIds(int vocab, int mask) {
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (id != FREE && (id >= vocab || id == mask)) {
        throw new InvalidInputException(
            "given token "
                + id
                + " at row "
                + i / length
                + ", position "
                + i % length
                + (id == mask
                    ? " is the MASK id"
                    : " is outside the vocabulary [0, " + vocab + ")"));
      }
    }
  }

  /** One independent stream per row: the b-th {@link Rng#split()} of {@code rng}, in row order. */
  public static Rng[] rowStreams(Rng rng, int batch) {
    Rng[] rows = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = rng.split();
    }
    return rows;
  }

  /**
   * Checks that {@code rows} holds one stream per row of this conditioning.
   *
   * @throws IllegalArgumentException naming both sizes
   */
  public void checkStreams(Rng[] rows) {
    if (rows == null || rows.length != batch) {
      throw new IllegalArgumentException(
          "need one Rng per row: ["
              + batch
              + "], got "
              + (rows == null ? "null" : "[" + rows.length + "]"));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Conditioning c
        && c.batch == batch
        && c.length == length
        && Arrays.equals(c.ids, ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + length;
  }

  @Override
  public String toString() {
    return "Conditioning[" + batch + ", " + length + "]";
  }
}
