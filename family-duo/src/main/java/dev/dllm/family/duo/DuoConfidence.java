package dev.dllm.family.duo;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.BlockCacheLoop;
import dev.dllm.api.sample.ConfidenceBlocks;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.schedule.NoiseSchedule;
import java.util.function.LongSupplier;

/**
 * Duo's {@code predictor=confidence}: Fast-dLLM's confidence-threshold parallel decoding (NVlabs/
 * Fast-dLLM {@code llada/generate.py}; rule and options in {@link ConfidenceDecoding}, blocks and
 * step budget in {@link ConfidenceBlocks}) carried over to the uniform-state chain.
 *
 * <p>What the words mean here, and why. A uniform-state chain has no absorbing state: every step of
 * the ancestral sampler redraws every position from q(z_s | z_t, x_θ), so a position is never
 * "done" and the masked-diffusion rule has nothing to commit. So:
 *
 * <ul>
 *   <li><b>Confidence</b> of an open position l is max_v x_θ^l(v), x_θ = the float64 softmax of the
 *       logits with the mask logit at −1e6: the network's estimate of how surely it knows the clean
 *       token x_0^l given z_t, the same quantity as MDLM's (why the argmax's probability and not
 *       the proposal's: {@link ConfidenceDecoding}). The proposal v is a draw from x_θ^l or its
 *       argmax.
 *   <li><b>Committed</b> means clamped: a committed position holds v in every later z_t and is
 *       never redrawn, exactly as a given (prompt) position of the conditional sampler (spec §11.1,
 *       {@link DuoSampler}). Clamping is the chain's own conditioning: the rest of the row then
 *       follows the exact conditional chain given the committed tokens, whereas without the clamp
 *       the next step's posterior would re-noise the position with probability about 1 − alpha_s.
 *   <li><b>Open positions of the current block</b> keep following the ancestral chain on the
 *       block's own grid t_j = 1 − j(1 − 1e-5)/s (j the block's step, s its step budget): each step
 *       they are redrawn from q(z_s | z_t, x_θ) (spec §3.1), so they become less noisy while their
 *       neighbours are committed. Positions of later blocks keep their prior draw (t = 1).
 *   <li><b>Time conditioning</b>: sigma = −log ᾱ with ᾱ the mean alpha of the row's positions: 1 at
 *       clamped positions (given or committed), alpha(t_j) at the open positions of the current
 *       block, alpha(1) at later blocks. This is the row's overall noise level, as {@code
 *       prompt_sigma=effective} feeds for a prompt (and equal to it for one block); the schedule's
 *       sigma(t) would tell the network that a mostly committed row is pure noise.
 * </ul>
 *
 * At each step the top-1, every proposal ≥ τ and at least ⌈open / steps left⌉ of the current block
 * are committed; at the block's last budget step every open position is committed, which plays the
 * part of the final step (the greedy tail with {@code proposal=argmax}). NFE ≤ max(T, blocks). Rows
 * move through their blocks independently; each forward runs only the rows not yet done.
 *
 * <p>Randomness: row b draws only from {@code rows[b]}: its prior (one {@code nextInt(V)} per free
 * position, left to right, as {@link DuoSampler}), then per step one proposal per open position of
 * its block in position order (V uniforms each; none for {@code argmax}), then the posterior draws
 * of the positions left open, in position order. So a row's sample depends neither on its batch nor
 * on the thread count. With {@code stopAtEos} a row stops at its first generated EOS once the block
 * holding it is committed ({@link ConfidenceBlocks#stopAtEos}).
 *
 * <p><b>Block KV cache</b> ({@code cache=prefix|dual}, {@link BlockCache}; Fast-dLLM's prefix and
 * dual cache): the same steps and draws run through {@link BlockCacheLoop} (the loop MDLM uses): at
 * a block's first step a full forward keeps every position's K/V, its later steps run only the
 * block ({@code dual}) or the block and the positions after it ({@code prefix}) against them. What
 * the cached K/V of the positions outside the block mean for this chain: the positions before the
 * block are committed (clamped) and never change again, and the positions after it keep their prior
 * draw until their own block starts (above), so during a block the tokens outside it are exactly
 * those of the block's first step, unlike the ancestral sampler, which redraws every position at
 * every step and so has no block to cache around. What goes stale is what Fast-dLLM accepts for
 * masked models, plus one thing of Duo's: (1) from the second layer on, the cached K/V saw the
 * block's tokens of the first step, not its later commits and posterior redraws; (2) they were
 * computed at the first step's sigma, whereas −log ᾱ of the row falls at every step. Each slice is
 * fed the step's own sigma, so the positions being decoded are conditioned on the row's present
 * noise level, as without the cache; only the cached context keeps the sigma of the block's start
 * (a block moves ᾱ by at most its share of the row, 32 / 256 of the way for the defaults at L 256).
 * With an exact cache the samples equal {@code cache=none}'s draw for draw. A step listener sees
 * every forward, full or slice, as one step.
 *
 * @param clock the step clock in ns, read only with a listener
 */
record DuoConfidence(
    NoiseSchedule schedule,
    ConfidenceDecoding rule,
    int steps,
    double topP,
    boolean stopAtEos,
    BlockCache cache,
    LongSupplier clock) {

  /**
   * Runs the chain on {@code x [B, L]} (the prior, given ids at clamped positions) in place.
   *
   * @param clamped {@code [B, L]}, true at given positions
   * @param eos the EOS id, or negative for none
   * @return NFE, the number of batched forwards (with a block cache: full plus slice forwards)
   * @throws dev.dllm.api.InvalidInputException when a block cache is asked for and the denoiser has
   *     no block KV graph
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
    boolean[] committed = clamped.clone();
    ConfidenceBlocks[] cursors = new ConfidenceBlocks[batch];
    boolean[][] free = new boolean[batch][length];
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length; l++) {
        free[b][l] = !clamped[b * length + l];
      }
      cursors[b] = ConfidenceBlocks.of(free[b], rule.blockLength(), steps);
    }
    double alphaOne = schedule.alpha(1.0);
    if (cache != BlockCache.NONE) {
      try (BlockKvCacheDecoder decoder = cache.open(denoiser)) {
        BlockCacheLoop.RowStep rowStep =
            new BlockCacheLoop.RowStep() {
              @Override
              public float sigma(int b) {
                return stepSigma(committed, b * length, length, cursors[b], alphaOne);
              }

              @Override
              public boolean step(Logits logits, int i, int base, int b) {
                return stepRow(
                    logits, i, base, x, committed, length, mask, eos, b, cursors, free, rows);
              }
            };
        return new BlockCacheLoop(decoder, cache == BlockCache.DUAL, listener, clock)
            .run(x, length, cursors, rowStep);
      }
    }
    int nfe = 0;
    while (true) {
      int[] active = ConfidenceBlocks.active(cursors);
      if (active.length == 0) {
        return nfe;
      }
      long t0 = listener == null ? 0 : clock.getAsLong();
      int[] in = new int[active.length * length];
      float[] sigma = new float[active.length];
      for (int i = 0; i < active.length; i++) {
        int b = active[i];
        System.arraycopy(x, b * length, in, i * length, length);
        sigma[i] = stepSigma(committed, b * length, length, cursors[b], alphaOne);
      }
      long t1 = listener == null ? 0 : clock.getAsLong();
      Logits logits =
          denoiser
              .forward(new TokenBatch(in, active.length, length), sigma)
              .requireShape(active.length, length);
      long t2 = listener == null ? 0 : clock.getAsLong();
      nfe++;
      BlockCacheLoop.forEachRow(
          active.length,
          i ->
              stepRow(
                  logits, i, 0, x, committed, length, mask, eos, active[i], cursors, free, rows));
      if (listener != null) {
        long t3 = clock.getAsLong();
        listener.step(nfe - 1, t2 - t1, t3 - t2, t3 - t0);
      }
    }
  }

  /** The sigma of the row's next step: {@link #rowSigma} at alpha_t of its block's grid. */
  private float stepSigma(
      boolean[] committed, int row, int length, ConfidenceBlocks c, double alphaOne) {
    return (float) rowSigma(committed, row, length, c, grid(c)[0], alphaOne);
  }

  /** {alpha_t, alpha_s} of the current block's step on its own grid of {@code budget} steps. */
  private double[] grid(ConfidenceBlocks c) {
    int s = c.budget(c.block());
    int j = s - c.stepsLeft();
    double dt = (1 - DuoSampler.T_MIN) / s;
    double t = 1 - j * dt;
    double next = j == s - 1 ? DuoSampler.T_MIN : t - dt;
    return new double[] {schedule.alpha(t), schedule.alpha(next)};
  }

  /**
   * −log ᾱ: the mean alpha of the row, 1 at committed positions, {@code alphaT} at the open ones of
   * the current block, {@code alphaOne} beyond it (computed with log1p for a row that is nearly
   * clean).
   */
  static double rowSigma(
      boolean[] committed,
      int row,
      int length,
      ConfidenceBlocks c,
      double alphaT,
      double alphaOne) {
    double noise = 0; // Σ (1 − alpha) over the row
    for (int l = 0; l < length; l++) {
      if (!committed[row + l]) {
        noise += l < c.end() ? 1 - alphaT : 1 - alphaOne;
      }
    }
    return -Math.log1p(-noise / length);
  }

  /** {@link #step} of row b on its block's grid, then its stop at EOS when the block completed. */
  private boolean stepRow(
      Logits logits,
      int i,
      int base,
      int[] x,
      boolean[] committed,
      int length,
      int mask,
      int eos,
      int b,
      ConfidenceBlocks[] cursors,
      boolean[][] free,
      Rng[] rows) {
    ConfidenceBlocks c = cursors[b];
    boolean complete = step(logits, i, base, x, committed, b * length, mask, c, grid(c), rows[b]);
    if (complete && stopAtEos && eos >= 0) {
      c.stopAtEos(x, b * length, free[b], eos);
    }
    return complete;
  }

  /**
   * One step of one row; returns whether its block completed.
   *
   * @param base row {@code i} of {@code logits} holds position l at index l − base
   */
  private boolean step(
      Logits logits,
      int i,
      int base,
      int[] x,
      boolean[] committed,
      int row,
      int mask,
      ConfidenceBlocks c,
      double[] alpha,
      Rng rng) {
    int start = c.start();
    int end = c.end();
    int[] open = new int[end - start];
    int n = 0;
    for (int l = start; l < end; l++) {
      if (!committed[row + l]) {
        open[n++] = l;
      }
    }
    int vocab = logits.vocab();
    double[] confidence = new double[n];
    int[] proposal = new int[n];
    int[] order = new int[n];
    double[] buffer = new double[vocab];
    double[] p = new double[1];
    for (int j = 0; j < n; j++) {
      proposal[j] = rule.propose(logits, i, open[j] - base, mask, topP, rng, buffer, p);
      confidence[j] = p[0];
      order[j] = j;
    }
    int k = rule.select(confidence, n, c.minCommits(n), order);
    boolean[] chosen = new boolean[n];
    for (int j = 0; j < k; j++) {
      int l = open[order[j]];
      x[row + l] = proposal[order[j]];
      committed[row + l] = true;
      chosen[order[j]] = true;
    }
    for (int j = 0; j < n; j++) { // the open ones move one step along the chain
      if (!chosen[j]) {
        int l = open[j];
        x[row + l] =
            PosteriorDraw.draw(
                logits.values(),
                logits.offset(i, l - base),
                vocab,
                x[row + l],
                mask,
                alpha[0],
                alpha[1],
                topP,
                rng,
                buffer);
      }
    }
    boolean complete = k == n;
    c.step(complete);
    return complete;
  }
}
