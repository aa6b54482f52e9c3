package dev.dllm.api.sample;

import java.util.Arrays;

/**
 * The blocks and step budget of one row under confidence-threshold decoding ({@link
 * ConfidenceDecoding}; Fast-dLLM {@code llada/generate.py}): block k covers positions [P + kS, P +
 * (k+1)S) ∩ [0, L), with P the row's first free position (its prompt length) and S the block
 * length, as Fast-dLLM's blocks start after the prompt. Blocks with no free position (a given
 * suffix, an EOS tail) are skipped and cost no step. The T steps of {@link SamplerSpec#steps()} are
 * split over the K remaining blocks in proportion to their free positions: with F_k the free
 * positions before block k and F all of them, block k gets max(1, ⌊T·F_{k+1}/F⌋ − ⌊T·F_k/F⌋) steps
 * (for equal blocks, Fast-dLLM's T / K each). So the row's NFE is at most the sum, T when every
 * share is ≥ 1 and below T + K always, and with T ≥ F every block's budget is at least its free
 * positions: the budget never forces a commit and the rule is Fast-dLLM's exactly.
 *
 * <p>Mutable, one per row, used by one thread at a time.
 */
public final class ConfidenceBlocks {
  private final int[] starts;
  private final int[] ends;
  private final int[] budget;
  private int block;
  private int left;

  private ConfidenceBlocks(int[] starts, int[] ends, int[] budget) {
    this.starts = starts;
    this.ends = ends;
    this.budget = budget;
    this.left = budget.length == 0 ? 0 : budget[0];
  }

  /**
   * The blocks of one row.
   *
   * @param free {@code [L]} flags of the row: true where the sampler generates
   * @param blockLength S &gt;= 1
   * @param steps T &gt;= 1, the row's step budget
   * @throws IllegalArgumentException when S or T is below 1
   */
  public static ConfidenceBlocks of(boolean[] free, int blockLength, int steps) {
    if (blockLength < 1 || steps < 1) {
      throw new IllegalArgumentException(
          "block length and steps must be >= 1, got " + blockLength + " and " + steps);
    }
    int length = free.length;
    int first = 0;
    while (first < length && !free[first]) {
      first++;
    }
    int[] starts = new int[(length - first + blockLength - 1) / blockLength];
    int[] ends = new int[starts.length];
    int[] before = new int[starts.length + 1]; // F_k, free positions before block k
    int k = 0;
    for (int s = first; s < length; s += blockLength) {
      int e = Math.min(length, s + blockLength);
      int n = 0;
      for (int l = s; l < e; l++) {
        n += free[l] ? 1 : 0;
      }
      if (n > 0) {
        starts[k] = s;
        ends[k] = e;
        before[k + 1] = before[k] + n;
        k++;
      }
    }
    int[] budget = new int[k];
    long total = before[k];
    for (int i = 0; i < k; i++) {
      budget[i] =
          (int)
              Math.max(1, steps * (long) before[i + 1] / total - steps * (long) before[i] / total);
    }
    return new ConfidenceBlocks(Arrays.copyOf(starts, k), Arrays.copyOf(ends, k), budget);
  }

  /** K, the blocks with a free position. */
  public int blocks() {
    return starts.length;
  }

  /** Whether every block is decoded. */
  public boolean done() {
    return block >= starts.length;
  }

  /** Index of the current block in [0, K). */
  public int block() {
    return block;
  }

  /** First position of the current block. */
  public int start() {
    return starts[block];
  }

  /** One past the last position of the current block. */
  public int end() {
    return ends[block];
  }

  /** The step budget of block {@code k}. */
  public int budget(int k) {
    return budget[k];
  }

  /** Steps the current block has left, &gt;= 1 while not {@link #done()}. */
  public int stepsLeft() {
    return left;
  }

  /**
   * The fewest commits this step may make so that the current block finishes within its budget:
   * ⌈open / steps left⌉ (all of them at the block's last step).
   */
  public int minCommits(int open) {
    return (open + left - 1) / left;
  }

  /**
   * Ends a step of the current block: one step of its budget is spent and, when {@code complete}
   * (no open position left), the next block becomes current.
   *
   * @throws IllegalStateException when the budget is spent and the block is not complete, or when
   *     every block is done
   */
  public void step(boolean complete) {
    if (done()) {
      throw new IllegalStateException("every block is decoded");
    }
    left--;
    if (complete) {
      block++;
      left = done() ? 0 : budget[block];
    } else if (left == 0) {
      throw new IllegalStateException("block " + block + " is not complete after its budget");
    }
  }

  /** Marks every block decoded (a row stopped at EOS). */
  public void finish() {
    block = starts.length;
    left = 0;
  }

  /**
   * Stop at EOS ({@link SamplerSpec#stopAtEos()}), called after a block completed: when a free
   * position before the current block (every position once {@link #done()}) holds {@code eos},
   * every free position after the first such one is set to {@code eos} and the row is {@link
   * #finish() finished}.
   *
   * @param x the tokens, row {@code row} at offset {@code offset}
   * @param free {@code [L]} the row's free flags (as given to {@link #of})
   * @return whether the row stopped
   */
  public boolean stopAtEos(int[] x, int offset, boolean[] free, int eos) {
    int decodedEnd = done() ? free.length : start();
    for (int l = 0; l < decodedEnd; l++) {
      if (free[l] && x[offset + l] == eos) {
        for (int m = l + 1; m < free.length; m++) {
          if (free[m]) {
            x[offset + m] = eos;
          }
        }
        finish();
        return true;
      }
    }
    return false;
  }

  /** The indices of the rows not yet {@link #done()}, in order. */
  public static int[] active(ConfidenceBlocks[] rows) {
    int n = 0;
    for (ConfidenceBlocks c : rows) {
      n += c.done() ? 0 : 1;
    }
    int[] out = new int[n];
    int k = 0;
    for (int b = 0; b < rows.length; b++) {
      if (!rows[b].done()) {
        out[k++] = b;
      }
    }
    return out;
  }
}
