package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.SplittableRandom;

/**
 * Fixed-length rows {@code [L]} cut from a token stream (spec §1.2), read lazily from the (usually
 * memory-mapped) {@link TokenSource}; nothing is copied up front.
 *
 * <ul>
 *   <li>{@link BlockMode#WRAP}: block i = [BOS] + stream[i(L−2) .. (i+1)(L−2)) + [EOS]; there are
 *       floor(n / (L−2)) blocks and n mod (L−2) tokens are dropped.
 *   <li>{@link BlockMode#PACK}: block i = stream[iL .. (i+1)L); floor(n / L) blocks, n mod L
 *       dropped.
 *   <li>{@link BlockMode#WINDOW}: blocks as {@code PACK}; in addition {@link #window} reads L
 *       tokens from any of the n − L + 1 start offsets.
 * </ul>
 */
public final class BlockDataset {
  private final TokenSource tokens;
  private final int length;
  private final BlockMode mode;
  private final int bos;
  private final int eos;
  private final int blocks;
  private final long dropped;

  private BlockDataset(
      TokenSource tokens, int length, BlockMode mode, int bos, int eos, int blocks, long dropped) {
    this.tokens = tokens;
    this.length = length;
    this.mode = mode;
    this.bos = bos;
    this.eos = eos;
    this.blocks = blocks;
    this.dropped = dropped;
  }

  /**
   * Cuts {@code tokens} into blocks of {@code length}.
   *
   * @param what names the stream in error messages (e.g. "train split of input.txt")
   * @throws InvalidInputException "corpus shorter than one block" when no full block fits (never an
   *     empty set), when L is too small, or when wrap mode needs a BOS/EOS the tokenizer lacks
   */
  public static BlockDataset of(
      TokenSource tokens, int length, BlockMode mode, SpecialTokens specials, String what) {
    long n = tokens.size();
    int payload = mode == BlockMode.WRAP ? length - 2 : length;
    if (payload < 1) {
      throw new InvalidInputException(
          "--seq-len must be at least "
              + (mode == BlockMode.WRAP ? 3 : 1)
              + " in "
              + mode.id()
              + " mode, got "
              + length);
    }
    if (mode == BlockMode.WRAP && (specials.bos() < 0 || specials.eos() < 0)) {
      throw new InvalidInputException(
          "wrap mode needs BOS and EOS ids but the tokenizer has bos="
              + specials.bos()
              + ", eos="
              + specials.eos()
              + "; use --mode pack");
    }
    long count = n / payload;
    if (count == 0) {
      throw new InvalidInputException(
          "corpus shorter than one block: "
              + what
              + " has "
              + n
              + " tokens but one "
              + mode.id()
              + " block of L="
              + length
              + " needs "
              + payload
              + (mode == BlockMode.WRAP ? " (+ BOS/EOS)" : "")
              + "; use a smaller --seq-len or more data");
    }
    if (count > Integer.MAX_VALUE) {
      throw new InvalidInputException(what + " has more than 2^31 blocks; use a larger --seq-len");
    }
    return new BlockDataset(
        tokens, length, mode, specials.bos(), specials.eos(), (int) count, n - count * payload);
  }

  /** Number of blocks. */
  public int size() {
    return blocks;
  }

  /** L, the row length. */
  public int length() {
    return length;
  }

  /** The block mode. */
  public BlockMode mode() {
    return mode;
  }

  /** Stream tokens that did not fill a last block. */
  public long droppedTokens() {
    return dropped;
  }

  /** Tokens of the underlying stream. */
  public long streamTokens() {
    return tokens.size();
  }

  /** Number of distinct window starts, n − L + 1 (at least 1). */
  public long windowStarts() {
    return tokens.size() - length + 1;
  }

  /**
   * Writes the L stream tokens starting at {@code start} into {@code dst[offset .. offset + L)}.
   *
   * @throws IndexOutOfBoundsException unless 0 &lt;= start &lt; {@link #windowStarts()}
   */
  public void window(long start, int[] dst, int offset) {
    if (start < 0 || start >= windowStarts()) {
      throw new IndexOutOfBoundsException(
          "window start " + start + " not in [0, " + windowStarts() + ")");
    }
    tokens.read(start, dst, offset, length);
  }

  /** Block {@code i} as a new {@code int[L]}. */
  public int[] block(int i) {
    int[] row = new int[length];
    block(i, row, 0);
    return row;
  }

  /** Writes block {@code i} into {@code dst[offset .. offset + L)}. */
  public void block(int i, int[] dst, int offset) {
    if (i < 0 || i >= blocks) {
      throw new IndexOutOfBoundsException("block " + i + " not in [0, " + blocks + ")");
    }
    if (mode == BlockMode.WRAP) {
      int payload = length - 2;
      dst[offset] = bos;
      tokens.read((long) i * payload, dst, offset + 1, payload);
      dst[offset + length - 1] = eos;
    } else {
      tokens.read((long) i * length, dst, offset, length);
    }
  }

  /** Blocks {@code indices[k]} stacked row-major, {@code [indices.length, L]}. */
  public int[] batch(int[] indices) {
    int[] out = new int[indices.length * length];
    for (int k = 0; k < indices.length; k++) {
      block(indices[k], out, k * length);
    }
    return out;
  }

  /** A permutation of 0..size−1, deterministic in {@code seed} (Fisher–Yates). */
  public int[] shuffledOrder(long seed) {
    int[] order = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = blocks - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }
}
