package dev.dllm.family.duo;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

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

  private static final Set<String> OPTIONS = Set.of("noise_removal", "greedy_tail", "prompt_sigma");

  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final NoiseRemoval noiseRemoval;
  private final PromptSigma promptSigma;

  /** The step clock in ns (System::nanoTime; tests swap in a deterministic one). */
  private java.util.function.LongSupplier clock = System::nanoTime;

  private DuoSampler(
      NoiseSchedule schedule,
      int steps,
      double topP,
      NoiseRemoval noiseRemoval,
      PromptSigma promptSigma) {
    this.schedule = schedule;
    this.steps = steps;
    this.topP = topP;
    this.noiseRemoval = noiseRemoval;
    this.promptSigma = promptSigma;
  }

  static DuoSampler of(SamplerSpec spec, NoiseSchedule schedule) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new InvalidInputException(
            "sampler option '"
                + key
                + "' is not supported by family duo; known options: "
                + String.join(", ", new TreeSet<>(OPTIONS)));
      }
    }
    if (spec.steps() < 1) {
      throw new InvalidInputException("duo sampling needs steps T >= 1, got " + spec.steps());
    }
    String nr = spec.option("noise_removal", null);
    String tail = spec.option("greedy_tail", null);
    NoiseRemoval removal = NoiseRemoval.ANCESTRAL;
    if (nr != null) {
      try {
        removal = NoiseRemoval.valueOf(nr.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "sampler option noise_removal must be ancestral, greedy or none, got " + nr);
      }
    }
    if (tail != null) {
      if (!tail.equals("true") && !tail.equals("false")) {
        throw new InvalidInputException(
            "sampler option greedy_tail must be true or false, got " + tail);
      }
      if (tail.equals("true")) {
        if (nr != null && removal != NoiseRemoval.GREEDY) {
          throw new InvalidInputException(
              "sampler options greedy_tail=true and noise_removal=" + nr + " contradict");
        }
        removal = NoiseRemoval.GREEDY;
      }
    }
    String ps = spec.option("prompt_sigma", null);
    PromptSigma promptSigma = DEFAULT_PROMPT_SIGMA;
    if (ps != null) {
      try {
        promptSigma = PromptSigma.valueOf(ps.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "sampler option prompt_sigma must be schedule or effective, got " + ps);
      }
    }
    return new DuoSampler(schedule, spec.steps(), spec.topP(), removal, promptSigma);
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
   *     leaves a free position at a uniform draw of it) and NFE = T + 1 (T with {@code none})
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
    int nfe = 0;
    double dt = (1 - T_MIN) / steps;
    for (int i = 0; i <= steps; i++) {
      boolean last = i == steps;
      if (last && noiseRemoval == NoiseRemoval.NONE) {
        break;
      }
      long t0 = listener == null ? 0 : clock.getAsLong();
      double t = last ? T_MIN : 1 - i * dt;
      double alphaT = schedule.alpha(t);
      double alphaS = last ? 1.0 : schedule.alpha(i == steps - 1 ? T_MIN : t - dt);
      double sigmaT = schedule.sigma(t);
      float[] sigma = new float[batch];
      for (int b = 0; b < batch; b++) {
        sigma[b] = (float) rowSigma(promptSigma, sigmaT, givenCount[b], length);
      }
      TokenBatch input = new TokenBatch(x.clone(), batch, length);
      long t1 = listener == null ? 0 : clock.getAsLong();
      Logits logits = forward(denoiser, input, sigma);
      long t2 = listener == null ? 0 : clock.getAsLong();
      nfe++;
      boolean greedy = last && noiseRemoval == NoiseRemoval.GREEDY;
      double[] bounds = greedy || topP < 1 ? null : XBounds.ofAll(logits, x, length, mask, clamped);
      forEachRow(
          batch,
          b -> {
            double[] buffer = new double[vocab];
            for (int l = 0; l < length; l++) {
              int j = b * length + l;
              if (clamped[j]) {
                continue; // clamped: z_t = the given id at every step, no draw
              }
              if (greedy) {
                x[j] = argmax(logits, b, l, mask);
              } else if (bounds == null) {
                x[j] =
                    draw(
                        logits.values(),
                        logits.offset(b, l),
                        vocab,
                        x[j],
                        mask,
                        alphaT,
                        alphaS,
                        topP,
                        rows[b],
                        buffer);
              } else {
                x[j] =
                    drawBounded(
                        bounds[2 * j],
                        bounds[2 * j + 1],
                        logits.values(),
                        logits.offset(b, l),
                        vocab,
                        x[j],
                        mask,
                        alphaT,
                        alphaS,
                        rows[b],
                        buffer);
              }
            }
          });
      if (listener != null) {
        long t3 = clock.getAsLong();
        listener.step(nfe - 1, t2 - t1, t3 - t2, t3 - t0);
      }
    }
    return new SampleBatch(new TokenBatch(x, batch, length), nfe);
  }

  /**
   * One exact draw from q(z_s | z_t, x_θ) for one logits row: the part of {@link
   * DuoMath#posteriorMasses} by one float64 uniform, then the token (z_t itself, a uniform id, or a
   * Gumbel-max draw from x_θ).
   *
   * @param logits raw logits, the row at {@code offset .. offset + vocab}
   * @param topP nucleus mass applied to x_θ before the posterior (1 = off)
   * @param buffer scratch of length &gt;= vocab
   */
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
    double xAtZt;
    if (topP < 1) {
      MaskedSoftmax.softmax(logits, offset, vocab, mask, buffer);
      TopP.apply(buffer, 0, vocab, topP);
      xAtZt = buffer[zt];
    } else {
      xAtZt = probabilityOf(logits, offset, vocab, mask, zt);
    }
    double[] m = DuoMath.posteriorMasses(xAtZt, vocab, alphaT, alphaS);
    return token(
        PosteriorPart.of(rng.uniform(), m), logits, offset, vocab, zt, mask, topP, rng, buffer);
  }

  /**
   * x_θ(z_t) = exp(log-softmax at z_t), logit[mask] = −1e6, float64: the only part of the posterior
   * that reads all V logits and draws nothing.
   */
  static double probabilityOf(float[] logits, int offset, int vocab, int mask, int zt) {
    return Math.exp(MaskedSoftmax.logProb(logits, offset, vocab, mask, zt));
  }

  /**
   * {@link #draw} (top-p off) given lo &lt;= x_θ(z_t) &lt;= hi ({@link XBounds}): the part is taken
   * from the bounds where they settle it with a margin far above float64 rounding, else from the
   * exact x_θ(z_t); the same uniform is used either way, so the draw is the one {@link #draw}
   * makes.
   */
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
    if (!XBounds.ok(lo)) {
      return draw(logits, offset, vocab, zt, mask, alphaT, alphaS, 1.0, rng, buffer);
    }
    double[] mLo = DuoMath.posteriorMasses(lo, vocab, alphaT, alphaS);
    double[] mHi = DuoMath.posteriorMasses(hi, vocab, alphaT, alphaS);
    double uniform = rng.uniform();
    int part = PosteriorPart.fromBounds(uniform, mLo, mHi);
    if (part < 0) {
      double[] m =
          DuoMath.posteriorMasses(
              probabilityOf(logits, offset, vocab, mask, zt), vocab, alphaT, alphaS);
      part = PosteriorPart.of(uniform, m);
    }
    return token(part, logits, offset, vocab, zt, mask, 1.0, rng, buffer);
  }

  /** The token of the chosen part: z_t, a uniform id, or a draw from x_θ (filtered with top-p). */
  private static int token(
      int part,
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double topP,
      Rng rng,
      double[] buffer) {
    if (part == PosteriorPart.KEEP) {
      return zt;
    }
    if (part == PosteriorPart.UNIFORM) {
      return rng.nextInt(vocab);
    }
    return topP < 1
        ? Categorical.sample(buffer, 0, vocab, rng)
        : Categorical.sampleLogits(logits, offset, vocab, mask, rng, buffer);
  }

  /** argmax_v x_θ(v) at (b, l), the mask id excluded (first on ties). */
  static int argmax(Logits logits, int b, int l, int mask) {
    int offset = logits.offset(b, l);
    float[] z = logits.values();
    int best = -1;
    for (int v = 0; v < logits.vocab(); v++) {
      if (v != mask && (best < 0 || z[offset + v] > z[offset + best])) {
        best = v;
      }
    }
    return best;
  }

  private static void forEachRow(int batch, java.util.function.IntConsumer work) {
    if (batch == 1) {
      work.accept(0);
    } else {
      java.util.stream.IntStream.range(0, batch).parallel().forEach(work);
    }
  }

  static Logits forward(Denoiser denoiser, int[] x, int batch, int length, float[] sigma) {
    return forward(denoiser, new TokenBatch(x.clone(), batch, length), sigma);
  }

  private static Logits forward(Denoiser denoiser, TokenBatch tokens, float[] sigma) {
    int batch = tokens.batch();
    int length = tokens.length();
    Logits logits = denoiser.forward(tokens, sigma);
    if (logits.batch() != batch || logits.length() != length) {
      throw new IllegalArgumentException(
          "denoiser returned logits ["
              + logits.batch()
              + ", "
              + logits.length()
              + ", V] for tokens ["
              + batch
              + ", "
              + length
              + "]");
    }
    return logits;
  }
}
