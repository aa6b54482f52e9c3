package dev.dllm.family.duo;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * The Duo ancestral sampler (spec §3.3; [SD] algo.py {@code DUO_BASE._ancestral_update},
 * trainer_base.py {@code generate_samples}), engine-free on any {@link Denoiser}.
 *
 * <p>Prior: i.i.d. uniform ids over V. Steps on the grid linspace(1, 1e-5, T + 1): at step i the
 * network sees z_t at sigma = −log alpha_t (every row), x_θ = softmax(logits) with logit[mask] =
 * −1e6 in float64, optionally top-p filtered and renormalised ([DUO] style, before the posterior),
 * and every position is redrawn from the exact posterior q(z_s | z_t, x_θ) ({@link
 * DuoMath#posterior}); there is no copy-through. The posterior is drawn exactly as the mixture of
 * {@link DuoMath#posteriorMasses}: one float64 uniform picks the part (keep z_t, a uniform id, or a
 * draw from x_θ by float64 Gumbel-max in ratio form, {@link Categorical}).
 *
 * <p>Final step at t0 = 1e-5 ({@code noise_removal}): {@code ancestral} draws from the posterior
 * with alpha_s = 1; {@code greedy} (the greedy tail) takes argmax x_θ at every position; {@code
 * none} skips it. NFE = T + 1 (T with {@code none}). Neither final step can emit the mask id.
 *
 * <p>Row b draws only from the b-th {@link Rng#split()} of the given rng; rows run in parallel and
 * the samples do not depend on the number of threads. Without top-p, the part of the posterior is
 * decided from cheap table bounds on x_θ(z_t) ({@link XBounds}: no exp per id, computed for all B·L
 * positions in parallel, not only over B rows) and from the exact float64 x_θ(z_t) (V exps) only
 * where the bounds leave it open ({@link PosteriorPart}, about 1% of draws): the same part, hence
 * bit-identical samples, at about a fifth of the work.
 *
 * <p>{@link #sample(Denoiser, int, int, SpecialTokens, Rng, StepListener)} reports each step's
 * network and posterior time (benchmarks); without a listener no clock is read.
 *
 * <p>Prompts and infilling ({@link #sample(Denoiser, Conditioning, SpecialTokens, Rng[],
 * StepListener)}): given positions are clamped to their ids in z_t at every step and never redrawn
 * (spec §11.1); the unconditional sampler is that sampler with nothing given. Option {@code
 * prompt_sigma} ({@link PromptSigma}) picks the sigma a row with given positions is fed: the
 * schedule's sigma(t) ({@code schedule}) or that of the row's overall noise level ({@code
 * effective}, as s-sahoo/duo's lm-eval harness); a row with nothing given gets sigma(t) either way.
 *
 * <p>{@code predictor=confidence} replaces the step loop by Fast-dLLM's confidence-threshold
 * parallel decoding ({@link DuoConfidence}, which states what confidence and committing mean for a
 * uniform-state chain): block by block, positions whose x_θ confidence is ≥ τ (and the top-1 of
 * each step) are clamped; NFE adapts to the text; {@code cache=prefix|dual} runs it over the
 * export's block KV graph (Fast-dLLM's block cache, {@link BlockCache}). It is the only Duo sampler
 * that honours {@link SamplerSpec#stopAtEos()}, with {@code predictor=block_ancestral} ({@link
 * DuoBlockChain}: block by block, each block on Duo's own ancestral chain with its greedy tail,
 * positions with x_θ confidence ≥ τ committed early, the free positions after the block hidden).
 */
public final class DuoSampler implements Sampler {

  /** The last time of the step grid (spec §3.3, same grid as MDLM). */
  public static final double T_MIN = 1e-5;

  /** The final step. */
  public enum NoiseRemoval {
    ANCESTRAL,
    GREEDY,
    NONE
  }

  /**
   * The time conditioning of a row with given (clamped) positions (sampler option {@code
   * prompt_sigma}); rows with nothing given always get the schedule's sigma(t).
   */
  public enum PromptSigma {
    /** sigma(t) = −log alpha_t of the schedule for the whole row, given positions or not. */
    SCHEDULE,
    /**
     * sigma_eff = −log alpha_eff with alpha_eff = (P + (L − P) alpha_t) / L for a row with P of its
     * L positions given: the noise level of the row as a whole, the given positions counted as
     * clean (alpha = 1) and the free ones at alpha_t. s-sahoo/duo's lm-eval harness ({@code
     * discrete_diffusion_harness.py}, {@code _eval_suffix_nll_generators}, loss_avg_mode {@code
     * suffix}, and {@code _suffix_greedy_prediction_duo_base}) does the same for a clean prefix: it
     * recomputes alpha_t as the row's fraction of positions equal to the clean sequence and feeds
     * sigma = −log of it. The sampler does not know the clean continuation, so it uses that
     * fraction's expectation minus the chance matches: with a row matching x at rate m = (P + (L −
     * P)(alpha_t + (1 − alpha_t)/V)) / L, the alpha' with alpha' + (1 − alpha')/V = m (the level at
     * which a training row matches at that rate) is exactly (P + (L − P) alpha_t) / L. Computed
     * stably as −log1p(((L − P)/L) · expm1(−sigma(t))).
     */
    EFFECTIVE
  }

  /** The {@code prompt_sigma} used when the option is not given. */
  public static final PromptSigma DEFAULT_PROMPT_SIGMA = PromptSigma.SCHEDULE;

  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final double temperature; // of x_θ in the ancestral chain
  private final NoiseRemoval noiseRemoval;
  private final PromptSigma promptSigma;
  private final ConfidenceDecoding confidence;
  private final BlockCache cache;
  private final DuoBlockOptions block;
  private final boolean stopAtEos;

  /** The step clock in ns (System::nanoTime; tests swap in a deterministic one). */
  private java.util.function.LongSupplier clock = System::nanoTime;

  private DuoSampler(
      NoiseSchedule schedule,
      int steps,
      double topP,
      double temperature,
      NoiseRemoval noiseRemoval,
      PromptSigma promptSigma,
      ConfidenceDecoding confidence,
      BlockCache cache,
      DuoBlockOptions block,
      boolean stopAtEos) {
    this.schedule = schedule;
    this.steps = steps;
    this.topP = topP;
    this.temperature = temperature;
    this.noiseRemoval = noiseRemoval;
    this.promptSigma = promptSigma;
    this.confidence = confidence;
    this.cache = cache;
    this.block = block;
    this.stopAtEos = stopAtEos;
  }

  static DuoSampler of(SamplerSpec spec, NoiseSchedule schedule) {
    DuoSamplerOptions options = DuoSamplerOptions.parse(spec);
    return new DuoSampler(
        schedule,
        spec.steps(),
        DuoBlockOptions.topP(spec),
        options.block() == null ? DuoBlockOptions.temperature(spec) : 1,
        options.noiseRemoval(),
        options.promptSigma(),
        options.confidence(),
        options.cache(),
        options.block(),
        spec.stopAtEos());
  }

  /** The configured time conditioning of rows with given positions. */
  public PromptSigma promptSigma() {
    return promptSigma;
  }

  /**
   * The sigma fed to the network for one row at time t: {@code sigmaT} = the schedule's sigma(t)
   * when nothing is given or under {@link PromptSigma#SCHEDULE}; else −log alpha_eff ({@link
   * PromptSigma#EFFECTIVE}) with {@code given} of the {@code length} positions clean.
   */
  static double rowSigma(PromptSigma mode, double sigmaT, int given, int length) {
    if (given == 0 || mode == PromptSigma.SCHEDULE) {
      return sigmaT;
    }
    double free = (double) (length - given) / length;
    return -Math.log1p(free * Math.expm1(-sigmaT));
  }

  /** The configured final step. */
  public NoiseRemoval noiseRemoval() {
    return noiseRemoval;
  }

  /** This sampler reading step times from {@code nanos} instead of System.nanoTime (tests). */
  DuoSampler withClock(java.util.function.LongSupplier nanos) {
    this.clock = nanos;
    return this;
  }

  /** Reports network, posterior and step time per step; without a listener, no clock is read. */
  @Override
  public boolean reportsSteps() {
    return true;
  }

  /**
   * Conditional generation by clamping (spec §11.1, "Uniform-state (Duo)"): the given positions of
   * {@code given} hold their ids in z_t before every forward, from the first (t = 1) to the last
   * (t0 = 1e-5), and are never redrawn, neither by the ancestral steps nor by the final step
   * ({@code ancestral}, the greedy tail, or {@code none}); they come back verbatim. The free
   * positions follow the unconditional chain of this class: they start i.i.d. uniform over all V
   * ids (the prior, spec §3.3) and every step redraws each of them from q(z_s^l | z_t^l, x_θ^l)
   * (spec §3.1), where x_θ^l = softmax(logits) at l is computed from the whole clamped z_t, so the
   * network sees the condition at every step; its time conditioning is the schedule's sigma(t), or
   * with {@code prompt_sigma=effective} the row's −log((P + (L − P) alpha_t)/L) ({@link
   * PromptSigma#EFFECTIVE}). Distilled (DCD) checkpoints and any T run unchanged.
   *
   * <p>The math: clamping is the uniform-state chain whose forward process is the identity at the
   * given positions (alpha = 1 there: q(z_t^l | x^l) = e_{x^l}) and Duo's q(z_t^l | x^l) = alpha_t
   * e_{x^l} + (1 − alpha_t)/V at the free ones. Its exact reverse keeps the given ids, and its
   * per-position marginal at a free l is q(z_s^l | z_t) = q(z_t^l | z_s^l) q(z_s^l | z_t^{−l}) /
   * q(z_t^l | z_t^{−l}) with q(z_s^l | z_t^{−l}) = alpha_s x̃ + (1 − alpha_s)/V, i.e. exactly the
   * posterior of spec §3.1 at x = x̃ = p(x_0^l | z_t^{−l}, given): the law of the clean token given
   * every other position, the prompt included (not the posterior mean E[x_0^l | z_t], which counts
   * the position's own noisy token twice; the test oracle {@code MarkovOracle} shows the
   * difference). x̃ is the minimiser of the Duo NELBO, hence what a network trained on clamped
   * inputs (the SFT loss, spec §11.2; {@link DuoFamily#conditionalNelbo}) approximates. Drawing the
   * free positions independently given z_t errs by O(1/T) (two positions moving in one step).
   * s-sahoo/duo's lm-eval harness ({@code discrete_diffusion_harness.py}, suffix mode) conditions
   * the same way: it noises the row and puts the clean prefix back before the forward. [SD] and
   * [DUO] themselves sample unconditionally only.
   *
   * <p>Randomness: row b draws only from {@code rows[b]}: its prior (one {@code nextInt(V)} per
   * free position, left to right; given positions draw nothing), then per step the posterior draws
   * of its free positions in order ({@link #draw}, or the same draw decided from {@link XBounds};
   * given positions are skipped). So a row's sample does not depend on the rows batched with it nor
   * on the thread count, and with nothing given it is exactly the unconditional sample. The free
   * positions' draws are the bit-identical fast path of the unconditional sampler.
   *
   * @param given {@code [B, L]}: {@link Conditioning#FREE} or the id clamped at that position, in
   *     [0, V) and not the mask id; L is the row length the denoiser sees; any pattern (prefix,
   *     gaps, suffix) is accepted
   * @param rows one stream per row {@code [B]}
   * @param listener step timing ({@link StepListener}), or null for none (then no clock is read)
   * @return ids {@code [B, L]} (given ids verbatim; no mask id unless {@code noise_removal=none}
   *     leaves a free position at a uniform draw of it) and NFE = T + 1 (T with {@code none}; at
   *     most max(T, blocks) with {@code predictor=confidence})
   * @throws dev.dllm.api.InvalidInputException when a given id is the mask id or outside [0, V)
   * @throws IllegalArgumentException when {@code rows} is not one stream per row
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser,
      Conditioning given,
      SpecialTokens specials,
      Rng[] rows,
      StepListener listener) {
    int batch = given.batch();
    int length = given.length();
    given.checkStreams(rows);
    int vocab = denoiser.vocabSize();
    int mask = specials.mask();
    given.checkIds(vocab, mask);
    boolean[] clamped = given.givenMask();
    int[] givenCount = new int[batch];
    for (int b = 0; b < batch; b++) {
      givenCount[b] = given.givenCount(b);
    }
    int[] x = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length; l++) {
        int j = b * length + l;
        x[j] = clamped[j] ? given.id(b, l) : rows[b].nextInt(vocab);
      }
    }
    if (block != null) {
      int nfe =
          new DuoBlockChain(
                  schedule,
                  block,
                  new ConfidenceDecoding(block.threshold(), block.blockLength(), block.argmax()),
                  steps,
                  topP,
                  stopAtEos,
                  clock)
              .run(denoiser, x, batch, length, clamped, mask, specials.eos(), rows, listener);
      return new SampleBatch(new TokenBatch(x, batch, length), nfe);
    }
    if (confidence != null) {
      int nfe =
          new DuoConfidence(schedule, confidence, steps, topP, stopAtEos, cache, clock)
              .run(denoiser, x, batch, length, clamped, mask, specials.eos(), rows, listener);
      return new SampleBatch(new TokenBatch(x, batch, length), nfe);
    }
    int nfe =
        new DuoStepLoop(schedule, steps, topP, temperature, noiseRemoval, promptSigma, clock)
            .run(denoiser, x, batch, length, clamped, givenCount, mask, rows, listener);
    return new SampleBatch(new TokenBatch(x, batch, length), nfe);
  }

  /** {@link PosteriorDraw#draw} (kept here for the tests). */
  static int draw(
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double alphaT,
      double alphaS,
      double topP,
      Rng rng,
      double[] buffer) {
    return PosteriorDraw.draw(logits, offset, vocab, zt, mask, alphaT, alphaS, topP, rng, buffer);
  }

  /** {@link PosteriorDraw#probabilityOf}. */
  static double probabilityOf(float[] logits, int offset, int vocab, int mask, int zt) {
    return PosteriorDraw.probabilityOf(logits, offset, vocab, mask, zt);
  }

  /** {@link PosteriorDraw#drawBounded}. */
  static int drawBounded(
      double lo,
      double hi,
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double alphaT,
      double alphaS,
      Rng rng,
      double[] buffer) {
    return PosteriorDraw.drawBounded(
        lo, hi, logits, offset, vocab, zt, mask, alphaT, alphaS, rng, buffer);
  }

  /** {@link PosteriorDraw#argmax}. */
  static int argmax(Logits logits, int b, int l, int mask) {
    return PosteriorDraw.argmax(logits, b, l, mask);
  }
}
