package dev.dllm.family.mdlm;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.BlockCacheLoop;
import dev.dllm.api.sample.ConfidenceBlocks;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.Rng;

/**
 * MDLM's {@code predictor=confidence}: confidence-threshold parallel decoding (Fast-dLLM, NVlabs/
 * Fast-dLLM {@code llada/generate.py} {@code generate} with {@code threshold}; rule and options in
 * {@link ConfidenceDecoding}, blocks in {@link ConfidenceBlocks}) on the absorbing chain, sigma =
 * 0.
 *
 * <p>"Committed" is the absorbing chain's own notion: a masked position that takes a token is clean
 * and, by SUBS carry-over, never changes again; open positions stay MASK, so the network sees
 * exactly a z_t of the training distribution (clean tokens and masks). At each step the open
 * positions of a row's current block propose a token (a draw from p_x0, or its argmax) with max_v
 * p_x0(v) as confidence (why not p_x0(token): {@link ConfidenceDecoding}); the top-1, every
 * proposal ≥ τ and at least ⌈open / steps left⌉ are committed. Positions after the current block
 * are never committed, whatever their confidence. NFE adapts to the text: at most max(T, blocks)
 * forwards, at least one per block.
 *
 * <p>Rows move through their blocks independently; each forward runs only the rows not yet done (a
 * smaller batch), so NFE counts the batched forwards, the most any row needed. Row b draws only
 * from {@code rows[b]}: per step, one proposal per open position of its block in position order (V
 * uniforms each, or none for {@code proposal=argmax}). So a row's sample depends neither on the
 * rows batched with it (for a denoiser whose row b depends only on row b) nor on the thread count.
 *
 * <p>With {@code stopAtEos} and an EOS id: when a block completes and the row has generated an EOS
 * at a free position, every free position after the first such EOS becomes EOS and the row stops.
 *
 * <p>With {@code cache=prefix|dual} ({@link BlockCache}) the forwards go through the denoiser's
 * {@link BlockKvCacheDecoder} and rows move through their blocks in lockstep ({@link
 * BlockCacheLoop}); the commit rule and the draws are the same.
 */
final class MdlmConfidence {
  private final ConfidenceDecoding rule;
  private final BlockCache cache;
  private final int steps;
  private final double topP;
  private final boolean stopAtEos;

  MdlmConfidence(
      ConfidenceDecoding rule, BlockCache cache, int steps, double topP, boolean stopAtEos) {
    this.rule = rule;
    this.cache = cache;
    this.steps = steps;
    this.topP = topP;
    this.stopAtEos = stopAtEos;
  }

  /**
   * Commits every masked position of {@code x [B, L]} in place; clean positions are kept.
   *
   * @param eos the EOS id, or negative for none
   * @return the number of denoiser calls (with a block cache: full forwards plus slice forwards)
   * @throws InvalidInputException when a block cache is asked for and the denoiser has none
   */
  int denoise(Denoiser denoiser, int[] x, int batch, int length, int mask, int eos, Rng[] rows) {
    ConfidenceBlocks[] cursors = new ConfidenceBlocks[batch];
    boolean[][] free = new boolean[batch][length];
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length; l++) {
        free[b][l] = x[b * length + l] == mask;
      }
      cursors[b] = ConfidenceBlocks.of(free[b], rule.blockLength(), steps);
    }
    if (cache != BlockCache.NONE) {
      try (BlockKvCacheDecoder decoder = cache.open(denoiser)) {
        BlockCacheLoop.RowStep step =
            new BlockCacheLoop.RowStep() {
              @Override
              public float sigma(int b) {
                return 0f;
              }

              @Override
              public boolean step(Logits logits, int i, int base, int b) {
                return stepRow(logits, i, base, x, b, length, mask, eos, cursors[b], free[b], rows);
              }
            };
        return new BlockCacheLoop(decoder, cache == BlockCache.DUAL).run(x, length, cursors, step);
      }
    }
    int nfe = 0;
    while (true) {
      int[] active = ConfidenceBlocks.active(cursors);
      if (active.length == 0) {
        return nfe;
      }
      int[] in = new int[active.length * length];
      for (int i = 0; i < active.length; i++) {
        System.arraycopy(x, active[i] * length, in, i * length, length);
      }
      Logits logits =
          denoiser
              .forward(new TokenBatch(in, active.length, length), null)
              .requireShape(active.length, length);
      nfe++;
      BlockCacheLoop.forEachRow(
          active.length,
          i ->
              stepRow(
                  logits,
                  i,
                  0,
                  x,
                  active[i],
                  length,
                  mask,
                  eos,
                  cursors[active[i]],
                  free[active[i]],
                  rows));
    }
  }

  /** {@link #step} of row b, then its stop at EOS when its block completed. */
  private boolean stepRow(
      Logits logits,
      int i,
      int base,
      int[] x,
      int b,
      int length,
      int mask,
      int eos,
      ConfidenceBlocks c,
      boolean[] free,
      Rng[] rows) {
    boolean complete = step(logits, i, base, x, b * length, mask, c, rows[b]);
    if (complete && stopAtEos && eos >= 0) {
      c.stopAtEos(x, b * length, free, eos);
    }
    return complete;
  }

  /**
   * One step of one row on its current block; returns whether the block completed.
   *
   * @param logits row {@code i} holds position l at index l − {@code base}
   * @param row offset of the row in {@code x}
   */
  boolean step(
      Logits logits, int i, int base, int[] x, int row, int mask, ConfidenceBlocks c, Rng rng) {
    int start = c.start();
    int end = c.end();
    int[] open = new int[end - start];
    int n = 0;
    for (int l = start; l < end; l++) {
      if (x[row + l] == mask) {
        open[n++] = l;
      }
    }
    double[] confidence = new double[n];
    int[] proposal = new int[n];
    int[] order = new int[n];
    double[] buffer = new double[logits.vocab()];
    double[] p = new double[1];
    for (int j = 0; j < n; j++) {
      proposal[j] = rule.propose(logits, i, open[j] - base, mask, topP, rng, buffer, p);
      confidence[j] = p[0];
      order[j] = j;
    }
    int k = rule.select(confidence, n, c.minCommits(n), order);
    for (int j = 0; j < k; j++) {
      x[row + open[order[j]]] = proposal[order[j]];
    }
    boolean complete = k == n;
    c.step(complete);
    return complete;
  }
}
