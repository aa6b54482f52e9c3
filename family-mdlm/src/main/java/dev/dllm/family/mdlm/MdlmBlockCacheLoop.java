package dev.dllm.family.mdlm;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.ConfidenceBlocks;
import dev.dllm.api.sample.Rng;

/**
 * MDLM confidence decoding over a block KV cache (Fast-dLLM's prefix and dual cache, NVlabs/
 * Fast-dLLM {@code llada/generate.py} {@code generate_with_prefix_cache}, {@code
 * generate_with_dual_cache}; issue 20). The rows not yet done move through their blocks in
 * lockstep, in phases: a phase starts with one full forward of every such row ({@link
 * BlockKvCacheDecoder#refresh}, which keeps the per-layer K/V of all L positions) and its step on
 * the row's current block, then repeats slice forwards until every row has completed that block: a
 * row whose block completed waits, unchanged, for the next phase. A slice feeds per row
 *
 * <ul>
 *   <li>dual cache: the block's positions [s, e), whose queries see the cached keys outside [s, e)
 *       (prefix and suffix as they were at the phase's full forward) and the block's fresh keys;
 *   <li>prefix cache: positions [s, L), seeing the cached keys below s and their own fresh keys.
 * </ul>
 *
 * padded to the widest row of the phase (padding slots are hidden keys, their logits unused; the
 * waiting rows are fed too, their logits unused). At each step the commit rule and the draws are
 * those of {@link MdlmConfidence} (the same random stream per row), so with an exact cache the
 * samples equal {@code cache=none}'s; what differs is only that the other positions' K/V are those
 * of the phase's first step. A row's sample depends only on its own steps: each of its blocks
 * starts with a full forward of the row and continues with slices of it. NFE counts every batched
 * forward, full or slice.
 */
final class MdlmBlockCacheLoop {
  private final MdlmConfidence rule;
  private final BlockKvCacheDecoder cache;
  private final boolean dual;

  MdlmBlockCacheLoop(MdlmConfidence rule, BlockKvCacheDecoder cache, boolean dual) {
    this.rule = rule;
    this.cache = cache;
    this.dual = dual;
  }

  /**
   * Commits every masked position of {@code x [B, L]} in place.
   *
   * @param cursors per row blocks, as built by {@link MdlmConfidence}
   * @param free {@code [B][L]} the rows' free flags
   * @return NFE, full plus slice forwards
   */
  int run(
      int[] x,
      int batch,
      int length,
      int mask,
      int eos,
      Rng[] rows,
      ConfidenceBlocks[] cursors,
      boolean[][] free) {
    int nfe = 0;
    while (true) {
      int[] active = ConfidenceBlocks.active(cursors);
      int n = active.length;
      if (n == 0) {
        return nfe;
      }
      int[] in = new int[n * length];
      int[] start = new int[n];
      int[] end = new int[n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(x, active[i] * length, in, i * length, length);
        start[i] = cursors[active[i]].start();
        end[i] = dual ? cursors[active[i]].end() : length;
      }
      Logits full = cache.refresh(new TokenBatch(in, n, length), null).requireShape(n, length);
      nfe++;
      boolean[] pending = new boolean[n];
      stepAll(full, null, active, pending, x, length, mask, eos, rows, cursors, free);
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
        Logits slice = cache.slice(tokens, positions, width, visible, null);
        slice.requireShape(n, width);
        nfe++;
        stepAll(slice, start, active, pending, x, length, mask, eos, rows, cursors, free);
      }
    }
  }

  /**
   * One step of every pending row (all rows when {@code base} is null: the phase's first step);
   * updates {@code pending} to the rows whose block is still open.
   */
  private void stepAll(
      Logits logits,
      int[] base,
      int[] active,
      boolean[] pending,
      int[] x,
      int length,
      int mask,
      int eos,
      Rng[] rows,
      ConfidenceBlocks[] cursors,
      boolean[][] free) {
    boolean first = base == null;
    MdlmConfidence.forEach(
        active.length,
        i -> {
          if (!first && !pending[i]) {
            return;
          }
          int b = active[i];
          boolean complete =
              rule.step(logits, i, first ? 0 : base[i], x, b * length, mask, cursors[b], rows[b]);
          pending[i] = !complete;
          if (complete && rule.stopsAtEos() && eos >= 0) {
            cursors[b].stopAtEos(x, b * length, free[b], eos);
          }
        });
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
