package dev.dllm.family.duo;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.BlockCacheLoop;
import dev.dllm.api.sample.ConfidenceBlocks;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.schedule.NoiseSchedule;
import java.util.Arrays;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;

/**
 * Duo's {@code predictor=block_ancestral}: block-by-block (semi-autoregressive) decoding in which
 * each block runs Duo's own ancestral chain and commits early what the network is confident of
 * (Fast-dLLM's blocks and threshold, NVlabs/Fast-dLLM {@code llada/generate.py}, on the uniform-
 * state chain of spec §3.3; options {@link DuoBlockOptions}).
 *
 * <p>How it differs from {@link DuoConfidence} (the same commit rule with {@code top1=true}, the
 * default): there the open block sits between a clean prefix and a suffix at the prior (t = 1), all
 * shown to the network under one sigma, whereas Duo was trained with every position at one t, so no
 * sigma fits such a row (a small one tells the network the prior suffix is mostly clean text). Here
 * the free positions after the block are hidden from attention ({@code suffix=hidden}, the default;
 * {@code prior} shows them and then gives exactly {@link DuoConfidence}'s samples), so the network
 * sees only clean positions and the block at its chain's t; and a committed position takes its
 * argmax by default, as the greedy tail does at the chain's end. Measured on Duo {@code xs}
 * (README, "Confidence-threshold parallel decoding"): the argmax commit is what lowers gen PPL
 * (mode seeking); hiding the suffix keeps the samples' entropy higher.
 *
 * <p>What the words mean for a uniform-state chain:
 *
 * <ul>
 *   <li><b>Confidence</b> of an open position l: max_v x_θ^l(v), x_θ = the float64 softmax of the
 *       logits with the mask logit at −1e6, the network's estimate of how surely it knows the clean
 *       token x_0^l given what it sees (as {@link ConfidenceDecoding}).
 *   <li><b>Committed</b>: clamped to its proposal ({@link BlockProposal}: argmax_v x_θ^l(v), the
 *       default, or a draw from x_θ^l, tempered and top-p filtered) and never redrawn, like a given
 *       (prompt) position (spec §11.1): the chain then continues conditioned on it. Each step
 *       commits, with {@code top1=true} (default), Fast-dLLM's rule ({@link
 *       ConfidenceDecoding#select}: the most confident, every one ≥ τ, at least ⌈open / steps
 *       left⌉), with {@code top1=false} only those ≥ τ; the block's last step commits every open
 *       position (the greedy tail, {@link DuoSampler.NoiseRemoval#GREEDY}, of the block's chain).
 *       Open positions are redrawn from q(z_s | z_t, x_θ) (spec §3.1) on the block's grid t_j = 1 −
 *       j(1 − 1e-5)/s, s its step budget ({@link ConfidenceBlocks}). A block whose positions are
 *       all committed ends early, so NFE adapts to the text; NFE ≤ T + K (K blocks), T + 1 without
 *       the cache.
 *   <li><b>Time conditioning</b>: {@code sigma=row} (default) feeds −log ᾱ, ᾱ the mean alpha of the
 *       positions the network sees (1 at clamped ones, alpha(t_j) at the block's open ones,
 *       alpha(1) at a shown prior suffix); {@code sigma=schedule} feeds sigma(t_j).
 * </ul>
 *
 * <p>Forwards go through the export's block KV graph ({@link BlockKvCacheDecoder}; only {@code
 * suffix=prior cache=none} uses the plain forward). {@code cache=none}: every step runs every
 * position the network may see (free ones before the block's end, given ones), all other keys
 * hidden: exact; one full forward at the start opens the graph's cache (counted in NFE). {@code
 * cache=prefix}: a full forward at each block's start keeps every position's K/V, and every step of
 * the block (its first too) runs only the block against the cached keys it may see, stale as
 * Fast-dLLM accepts (from the second layer on they saw the block's first-step tokens and the hidden
 * suffix's prior draw). Rows move through their blocks in lockstep (a row whose block ended waits).
 *
 * <p>Randomness: row b draws only from {@code rows[b]}: its prior ({@link DuoSampler}), then per
 * step one proposal per open position of its block in position order (V uniforms each with {@code
 * proposal=sample}, none for argmax), then the posterior draws of the positions left open. So a
 * row's sample depends neither on its batch nor on the thread count. With {@code stopAtEos} a row
 * stops at its first generated EOS once the block holding it is committed.
 *
 * @param clock the step clock in ns, read only with a listener
 */
record DuoBlockChain(
    NoiseSchedule schedule,
    DuoBlockOptions options,
    ConfidenceDecoding rule,
    int steps,
    double topP,
    boolean stopAtEos,
    LongSupplier clock) {

  /**
   * Runs the chain on {@code x [B, L]} (the prior, given ids at clamped positions) in place.
   *
   * @param clamped {@code [B, L]}, true at given positions
   * @param eos the EOS id, or negative for none
   * @return NFE, the number of batched forwards (full and slice)
   * @throws InvalidInputException when the denoiser has no block KV graph and one is needed
   */
  int run(
      Denoiser denoiser,
      int[] x,
      int batch,
      int length,
      boolean[] clamped,
      int mask,
      int eos,
      Rng[] rows,
      StepListener listener) {
    Rows state = new Rows(x, batch, length, clamped, mask, eos, rows);
    if (!options.hideSuffix() && !options.cache()) {
      return plain(denoiser, state, listener);
    }
    BlockKvCacheDecoder decoder =
        denoiser
            .blockKvCacheDecoder()
            .orElseThrow(() -> new InvalidInputException(DuoBlockOptions.NO_GRAPH));
    try (decoder) {
      return sliced(decoder, state, listener);
    }
  }

  /** The per-row state of one call. */
  private final class Rows {
    final int[] x;
    final int batch;
    final int length;
    final boolean[] clamped;
    final boolean[] committed;
    final boolean[][] free;
    final ConfidenceBlocks[] cursors;
    final int mask;
    final int eos;
    final Rng[] rngs;

    Rows(int[] x, int batch, int length, boolean[] clamped, int mask, int eos, Rng[] rngs) {
      this.x = x;
      this.batch = batch;
      this.length = length;
      this.clamped = clamped;
      this.committed = clamped.clone();
      this.mask = mask;
      this.eos = eos;
      this.rngs = rngs;
      free = new boolean[batch][length];
      cursors = new ConfidenceBlocks[batch];
      for (int b = 0; b < batch; b++) {
        for (int l = 0; l < length; l++) {
          free[b][l] = !clamped[b * length + l];
        }
        cursors[b] = ConfidenceBlocks.of(free[b], options.blockLength(), steps);
      }
    }

    /** Whether the network sees position l of row b at its next step (any position once done). */
    boolean seen(int b, int l) {
      ConfidenceBlocks c = cursors[b];
      return c.done() || l < c.end() || clamped[b * length + l] || !options.hideSuffix();
    }

    /** The sigma row b is fed at its next step. */
    float sigma(int b) {
      ConfidenceBlocks c = cursors[b];
      double[] a = grid(c);
      if (options.scheduleSigma()) {
        return (float) schedule.sigma(a[2]);
      }
      double noise = 0; // Σ (1 − alpha) over the seen positions
      int seen = 0;
      double alphaOne = schedule.alpha(1.0);
      for (int l = 0; l < length; l++) {
        if (seen(b, l)) {
          seen++;
          if (!committed[b * length + l]) {
            noise += l < c.end() ? 1 - a[0] : 1 - alphaOne;
          }
        }
      }
      return (float) -Math.log1p(-noise / seen);
    }
  }

  /** {alpha_t, alpha_s, t} of the current block's step on its own grid of {@code budget} steps. */
  private double[] grid(ConfidenceBlocks c) {
    int s = c.budget(c.block());
    int j = s - c.stepsLeft();
    double dt = (1 - DuoSampler.T_MIN) / s;
    double t = 1 - j * dt;
    double next = j == s - 1 ? DuoSampler.T_MIN : t - dt;
    return new double[] {schedule.alpha(t), schedule.alpha(next), t};
  }

  /** {@code suffix=prior cache=none}: a plain full forward of the active rows per step. */
  private int plain(Denoiser denoiser, Rows s, StepListener listener) {
    int nfe = 0;
    int length = s.length;
    while (true) {
      int[] active = ConfidenceBlocks.active(s.cursors);
      if (active.length == 0) {
        return nfe;
      }
      long t0 = now(listener);
      int[] in = new int[active.length * length];
      float[] sigma = new float[active.length];
      for (int i = 0; i < active.length; i++) {
        System.arraycopy(s.x, active[i] * length, in, i * length, length);
        sigma[i] = s.sigma(active[i]);
      }
      long t1 = now(listener);
      Logits logits =
          denoiser
              .forward(new TokenBatch(in, active.length, length), sigma)
              .requireShape(active.length, length);
      long t2 = now(listener);
      BlockCacheLoop.forEachRow(active.length, i -> stepRow(s, logits, i, null, active[i]));
      report(listener, nfe++, t0, t1, t2);
    }
  }

  /** Every other setting: slices of the block KV graph, refreshed per block with the cache. */
  private int sliced(BlockKvCacheDecoder decoder, Rows s, StepListener listener) {
    int nfe = 0;
    int length = s.length;
    int batch = s.batch;
    int[] refreshed = new int[0]; // the rows of the last refresh, in its order
    int[] phase = new int[0]; // with the cache: each refreshed row's block at the refresh
    while (true) {
      int[] active = ConfidenceBlocks.active(s.cursors);
      if (active.length == 0) {
        return nfe;
      }
      boolean newPhase = refreshed.length == 0;
      if (options.cache()) { // a phase per block: refresh once no row of the last one is in it
        newPhase = true;
        for (int i = 0; i < refreshed.length; i++) {
          ConfidenceBlocks c = s.cursors[refreshed[i]];
          newPhase &= c.done() || c.block() != phase[i];
        }
      }
      if (newPhase) {
        refreshed = options.cache() ? active : IntStream.range(0, batch).toArray();
        phase = new int[refreshed.length];
        int[] in = new int[refreshed.length * length];
        float[] sigma = new float[refreshed.length];
        for (int i = 0; i < refreshed.length; i++) {
          ConfidenceBlocks c = s.cursors[refreshed[i]];
          System.arraycopy(s.x, refreshed[i] * length, in, i * length, length);
          sigma[i] = c.done() ? 0f : s.sigma(refreshed[i]);
          phase[i] = c.done() ? -1 : c.block();
        }
        long t0 = now(listener);
        decoder.refresh(new TokenBatch(in, refreshed.length, length), sigma);
        report(listener, nfe++, t0, now(listener), now(listener));
      }
      // which refreshed rows step now: not done and (without the cache) any; with it, in phase
      int n = refreshed.length;
      int[][] slots = new int[n][];
      int width = 1;
      for (int i = 0; i < n; i++) {
        int b = refreshed[i];
        ConfidenceBlocks c = s.cursors[b];
        if (c.done() || (options.cache() && c.block() != phase[i])) { // done, or waits
          slots[i] = new int[0];
          continue;
        }
        int from = options.cache() ? c.start() : 0;
        int to = options.cache() ? c.end() : length;
        int k = 0;
        int[] p = new int[to - from];
        for (int l = from; l < to; l++) {
          if (options.cache() || s.seen(b, l)) {
            p[k++] = l;
          }
        }
        slots[i] = Arrays.copyOf(p, k);
        width = Math.max(width, k);
      }
      int[] tokens = new int[n * width];
      int[] positions = new int[n * width];
      boolean[] visible = new boolean[n * (length + width)];
      float[] sigma = new float[n];
      for (int i = 0; i < n; i++) {
        int b = refreshed[i];
        ConfidenceBlocks c = s.cursors[b];
        int o = i * (length + width);
        if (slots[i].length > 0 && options.cache()) {
          for (int l = 0; l < length; l++) {
            visible[o + l] = (l < c.start() || l >= c.end()) && s.seen(b, l);
          }
        }
        for (int j = 0; j < width; j++) {
          boolean real = j < slots[i].length;
          int p = real ? slots[i][j] : (slots[i].length > 0 ? slots[i][0] : 0);
          positions[i * width + j] = p;
          tokens[i * width + j] = s.x[b * length + p];
          visible[o + length + j] = real || (j == 0 && slots[i].length == 0);
        }
        sigma[i] = slots[i].length == 0 ? 0f : s.sigma(b);
      }
      long t0 = now(listener);
      Logits logits =
          decoder.slice(tokens, positions, width, visible, sigma).requireShape(n, width);
      long t1 = now(listener);
      int[] fed = refreshed;
      BlockCacheLoop.forEachRow(
          n,
          i -> {
            if (slots[i].length > 0) {
              stepRow(s, logits, i, slots[i], fed[i]);
            }
          });
      report(listener, nfe++, t0, t0, t1);
    }
  }

  /**
   * One step of row b: commit or redraw every open position of its block, then its stop at EOS when
   * the block completed.
   *
   * @param slots the positions of logits row {@code i} in order, or null when index = position
   */
  private void stepRow(Rows s, Logits logits, int i, int[] slots, int b) {
    ConfidenceBlocks c = s.cursors[b];
    if (c.done()) {
      return;
    }
    int row = b * s.length;
    int vocab = logits.vocab();
    double[] a = grid(c);
    boolean last = c.stepsLeft() == 1;
    int start = c.start();
    int end = c.end();
    int[] index = new int[end - start]; // logits index of each open position
    int[] open = new int[end - start]; // the open positions, in position order
    int n = 0;
    for (int l = start; l < end; l++) {
      if (!s.committed[row + l]) {
        open[n] = l;
        index[n++] = slots == null ? l : Arrays.binarySearch(slots, l);
      }
    }
    double[] confidence = new double[n];
    int[] proposal = new int[n];
    int[] order = new int[n];
    double[] p = new double[1];
    double[] buffer = new double[vocab];
    for (int k = 0; k < n; k++) {
      proposal[k] =
          BlockProposal.propose(
              rule, options.temperature(), logits, i, index[k], s.mask, topP, s.rngs[b], buffer, p);
      confidence[k] = p[0];
      order[k] = k;
    }
    int commits; // the leading entries of order to commit
    if (last) {
      commits = n;
    } else if (options.top1()) {
      commits = rule.select(confidence, n, c.minCommits(n), order);
    } else {
      commits = 0;
      for (int k = 0; k < n; k++) {
        if (confidence[k] >= options.threshold()) {
          order[commits++] = k;
        }
      }
    }
    boolean[] chosen = new boolean[n];
    for (int j = 0; j < commits; j++) {
      chosen[order[j]] = true;
    }
    for (int k = 0; k < n; k++) {
      int l = open[k];
      if (chosen[k]) {
        s.x[row + l] = proposal[k];
        s.committed[row + l] = true;
      } else {
        s.x[row + l] =
            PosteriorDraw.draw(
                logits.values(),
                logits.offset(i, index[k]),
                vocab,
                s.x[row + l],
                s.mask,
                a[0],
                a[1],
                topP,
                s.rngs[b],
                buffer);
      }
    }
    boolean incomplete = commits < n;
    c.step(!incomplete);
    if (!incomplete && stopAtEos && s.eos >= 0) {
      c.stopAtEos(s.x, row, s.free[b], s.eos);
    }
  }

  private long now(StepListener listener) {
    return listener == null ? 0 : clock.getAsLong();
  }

  private void report(StepListener listener, int k, long t0, long t1, long t2) {
    if (listener != null) {
      long t3 = clock.getAsLong();
      listener.step(k, t2 - t1, t3 - t2, t3 - t0);
    }
  }
}
