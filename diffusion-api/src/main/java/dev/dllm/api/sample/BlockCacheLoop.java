package dev.dllm.api.sample;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;

/**
 * Confidence decoding over a block KV cache (Fast-dLLM's prefix and dual cache, Wu et al. 2025,
 * NVlabs/Fast-dLLM {@code llada/generate.py} {@code generate_with_prefix_cache}, {@code
 * generate_with_dual_cache}; issue 20), the family-agnostic loop shared by MDLM's and Duo's {@code
 * predictor=confidence cache=prefix|dual}; what a step does to a row is the family's ({@link
 * RowStep}).
 *
 * <p>The rows not yet done move through their blocks in lockstep, in phases: a phase starts with
 * one full forward of every such row ({@link BlockKvCacheDecoder#refresh}, which keeps the
 * per-layer K/V of all L positions) and its step on the row's current block, then repeats slice
 * forwards until every row has completed that block: a row whose block completed waits, unchanged,
 * for the next phase. A slice feeds per row
 *
 * <ul>
 *   <li>dual cache: the block's positions [s, e), whose queries see the cached keys outside [s, e)
 *       (prefix and suffix as they were at the phase's full forward) and the block's fresh keys;
 *   <li>prefix cache: positions [s, L), seeing the cached keys below s and their own fresh keys.
 * </ul>
 *
 * padded to the widest row of the phase (padding slots are hidden keys, their logits unused; the
 * waiting rows are fed too, their logits unused). Every forward, full or slice, gets per row the
 * sigma {@link RowStep#sigma} returns just before it (a waiting row keeps its last one), so the
 * slice's queries and fresh K/V are at the step's sigma and the cached ones at the phase's first
 * step's. A row's sample depends only on its own steps: each of its blocks starts with a full
 * forward of the row and continues with slices of it. NFE counts every batched forward.
 */
public final class BlockCacheLoop {
  /** What a family does to one row at one step. */
  public interface RowStep {
    /**
     * The sigma row {@code b} is fed at its next forward (0 for a model without time conditioning);
     * called before every forward in which the row takes a step.
     */
    float sigma(int b);

    /**
     * One step of row {@code b} on its current block ({@code cursors[b]}), which the step advances;
     * tokens are changed in the loop's {@code x} in place.
     *
     * @param logits row {@code i} of the forward holds position l at index l − {@code base}
     * @return whether the row's block completed
     */
    boolean step(Logits logits, int i, int base, int b);
  }

  private final BlockKvCacheDecoder cache;
  private final boolean dual;
  private final StepListener listener;
  private final LongSupplier clock;

  /**
   * @param cache the decoder, refreshed at every phase
   * @param dual true for the dual cache, false for the prefix cache
   */
  public BlockCacheLoop(BlockKvCacheDecoder cache, boolean dual) {
    this(cache, dual, null, null);
  }

  /**
   * As {@link #BlockCacheLoop(BlockKvCacheDecoder, boolean)}, reporting every forward (full or
   * slice) to {@code listener} as one step: its network time, the rows' step time, and both.
   *
   * @param listener the step listener, or null for none (then {@code clock} is never read)
   * @param clock the step clock in ns
   */
  public BlockCacheLoop(
      BlockKvCacheDecoder cache, boolean dual, StepListener listener, LongSupplier clock) {
    this.cache = cache;
    this.dual = dual;
    this.listener = listener;
    this.clock = clock;
  }

  /**
   * Runs every row of {@code x [B, L]} to the end of its last block.
   *
   * @param cursors {@code [B]} per row blocks ({@link ConfidenceBlocks#of}), advanced by the steps
   * @return NFE, full plus slice forwards
   */
  public int run(int[] x, int length, ConfidenceBlocks[] cursors, RowStep rows) {
    int nfe = 0;
    float[] sigma = new float[cursors.length];
    while (true) {
      int[] active = ConfidenceBlocks.active(cursors);
      int n = active.length;
      if (n == 0) {
        return nfe;
      }
      int[] in = new int[n * length];
      int[] start = new int[n];
      int[] end = new int[n];
      boolean[] pending = new boolean[n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(x, active[i] * length, in, i * length, length);
        start[i] = cursors[active[i]].start();
        end[i] = dual ? cursors[active[i]].end() : length;
        pending[i] = true;
      }
      float[] fullSigma = sigmas(rows, active, pending, sigma);
      long t0 = now();
      Logits full = cache.refresh(new TokenBatch(in, n, length), fullSigma).requireShape(n, length);
      long t1 = now();
      stepAll(rows, full, new int[n], active, pending);
      report(nfe++, t0, t1);
      int width = 0;
      for (int i = 0; i < n; i++) {
        width = Math.max(width, end[i] - start[i]);
      }
      while (any(pending)) {
        int[] tokens = new int[n * width];
        int[] positions = new int[n * width];
        boolean[] visible = new boolean[n * (length + width)];
        for (int i = 0; i < n; i++) {
          int row = active[i] * length;
          int o = i * (length + width);
          for (int l = 0; l < length; l++) {
            visible[o + l] = l < start[i] || l >= end[i];
          }
          for (int s = 0; s < width; s++) {
            boolean real = start[i] + s < end[i];
            int p = real ? start[i] + s : start[i];
            positions[i * width + s] = p;
            tokens[i * width + s] = x[row + p];
            visible[o + length + s] = real;
          }
        }
        float[] sliceSigma = sigmas(rows, active, pending, sigma);
        long s0 = now();
        Logits slice = cache.slice(tokens, positions, width, visible, sliceSigma);
        slice.requireShape(n, width);
        long s1 = now();
        stepAll(rows, slice, start, active, pending);
        report(nfe++, s0, s1);
      }
    }
  }

  private long now() {
    return listener == null ? 0 : clock.getAsLong();
  }

  /** Reports step {@code k}: forward from t0 to t1, the rows' steps from t1 to now. */
  private void report(int k, long t0, long t1) {
    if (listener != null) {
      long t2 = clock.getAsLong();
      listener.step(k, t1 - t0, t2 - t1, t2 - t0);
    }
  }

  /** The sigma per active row: fresh for the pending rows, the last one for the waiting rows. */
  private static float[] sigmas(RowStep rows, int[] active, boolean[] pending, float[] last) {
    float[] out = new float[active.length];
    for (int i = 0; i < active.length; i++) {
      if (pending[i]) {
        last[active[i]] = rows.sigma(active[i]);
      }
      out[i] = last[active[i]];
    }
    return out;
  }

  /** One step of every pending row; updates {@code pending} to the rows whose block is open. */
  private static void stepAll(
      RowStep rows, Logits logits, int[] base, int[] active, boolean[] pending) {
    forEachRow(
        active.length,
        i -> {
          if (pending[i]) {
            pending[i] = !rows.step(logits, i, base[i], active[i]);
          }
        });
  }

  /**
   * Runs {@code work} for 0 .. n − 1, in parallel when n &gt; 1 (the rows of a step are
   * independent; each draws from its own stream, so the result does not depend on the threads).
   */
  public static void forEachRow(int n, IntConsumer work) {
    if (n == 1) {
      work.accept(0);
    } else {
      IntStream.range(0, n).parallel().forEach(work);
    }
  }

  private static boolean any(boolean[] flags) {
    for (boolean f : flags) {
      if (f) {
        return true;
      }
    }
    return false;
  }
}
