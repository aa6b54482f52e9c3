package dev.dllm.family.duo;

import dev.dllm.api.Corruption;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * Uniform-state diffusion ({@code duo}, spec §3; Sahoo et al. 2025, "The Diffusion Duality"; [SD]
 * algo.py {@code DUO_BASE}, trainer_base.py {@code UniformState}): each token is replaced with
 * probability 1 − alpha_t by a token drawn uniformly from all V ids, so q(z_t | x) = alpha_t e_x +
 * (1 − alpha_t)/V; the prior is i.i.d. uniform; the bidirectional DiT is time-conditioned on sigma
 * = −log alpha_t; the mean parameterisation x_θ = softmax(logits) with logit[mask] = −1e6; the loss
 * is the continuous-time Duo NELBO ({@link DuoMath#tokenLoss}), always in ELBO form.
 *
 * <p>V is the full vocabulary size, mask id included (the uniform draw can hit it, spec §1.5,
 * §10.5). {@link #corrupt} needs V: use {@link #forVocabulary} (or {@link #corrupt(int[], int, int,
 * double[], int, Rng)}); {@link #nelbo} takes V from the denoiser.
 *
 * <p>Prompts and infilling: the sampler clamps given positions at every step ({@link
 * DuoSampler#sample(Denoiser, dev.dllm.api.sample.Conditioning, SpecialTokens, Rng[],
 * dev.dllm.api.sample.StepListener)}); {@link #conditionalNelbo} keeps them clean and does not
 * score them.
 */
public final class DuoFamily implements DiffusionFamily {
  private final LogLinearSchedule schedule;
  private final int vocab;

  /** Duo with the log-linear schedule (alpha_0 = 1, ε = 1e-3), not yet bound to a vocabulary. */
  public DuoFamily() {
    this(new LogLinearSchedule(), 0);
  }

  private DuoFamily(LogLinearSchedule schedule, int vocab) {
    this.schedule = schedule;
    this.vocab = vocab;
  }

  /**
   * This family bound to V ids, so that the SPI {@link #corrupt(int[], int, int, double[],
   * SpecialTokens, Rng)} (which is not given V) can draw the uniform noise. The training objective
   * ({@code DuoObjective}) takes V from the backbone instead.
   *
   * @throws InvalidInputException when V &lt; 2
   */
  public DuoFamily forVocabulary(int vocab) {
    if (vocab < 2) {
      throw new InvalidInputException(
          "the duo family needs a vocabulary of >= 2 ids, got " + vocab);
    }
    return new DuoFamily(schedule, vocab);
  }

  /** The bound V, or 0 when unbound. */
  public int vocabulary() {
    return vocab;
  }

  @Override
  public String name() {
    return "duo";
  }

  @Override
  public String description() {
    return "uniform-state diffusion: uniform noise, time-conditioned DiT, Duo NELBO, ancestral"
        + " sampler with greedy tail";
  }

  /**
   * The posterior probe: the float64 posterior and its categorical draw at all B·L positions (or
   * the greedy argmax at the tail) should stay under {@value DuoSpeedComparison#POSTERIOR_BAR} of a
   * step (issue 8).
   */
  @Override
  public java.util.Optional<dev.dllm.api.sample.StepSplit> stepSplit() {
    return java.util.Optional.of(
        new dev.dllm.api.sample.StepSplit("Duo", "posterior", DuoSpeedComparison.POSTERIOR_BAR));
  }

  @Override
  public BackboneSpec backbone() {
    return new BackboneSpec(BackboneSpec.Attention.BIDIRECTIONAL, true);
  }

  @Override
  public NoiseSchedule schedule() {
    return schedule;
  }

  /**
   * Uniform corruption (spec §1.5) over the bound vocabulary.
   *
   * @throws IllegalStateException when the family is not bound to a vocabulary ({@link
   *     #forVocabulary})
   */
  @Override
  public int[] corrupt(
      int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
    if (vocab == 0) {
      throw new IllegalStateException(
          "the duo family draws noise from all V ids: bind it with forVocabulary(V) before"
              + " corrupt");
    }
    return corrupt(x0, batch, length, t, vocab, rng);
  }

  /**
   * Uniform corruption (spec §1.5): with probability 1 − alpha_t of its row, each token is replaced
   * by a uniform draw from {@code [0, vocab)} (which may equal the original, the mask id or another
   * special id). Per token, in row-major order: one uniform, then one integer draw if it moves.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param t times {@code [B]} in [0, 1]
   * @return z_t {@code [B, L]}, a copy
   * @throws IllegalArgumentException when the sizes do not match
   */
  public int[] corrupt(int[] x0, int batch, int length, double[] t, int vocab, Rng rng) {
    Corruption.checkShapes(x0, batch, length, t);
    int[] zt = x0.clone();
    for (int b = 0; b < batch; b++) {
      double move = schedule.moveProbability(t[b]);
      for (int l = 0; l < length; l++) {
        if (rng.uniform() < move) {
          zt[b * length + l] = rng.nextInt(vocab);
        }
      }
    }
    return zt;
  }

  /**
   * The Duo NELBO of the batch in float64 (spec §3.2): draws z_t with {@link #corrupt} over the
   * denoiser's V (the first use of {@code rng}), then {@link #nelboAt}.
   *
   * @param t one time per row {@code [B]}, in (0, 1)
   * @return summed NELBO in nats over all B·L positions
   */
  @Override
  public NllSum nelbo(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng) {
    int v = denoiser.vocabSize();
    if (vocab != 0 && vocab != v) {
      throw new IllegalArgumentException(
          "the family is bound to V = " + vocab + " but the denoiser has V = " + v);
    }
    int[] zt = corrupt(x0, batch, length, t, v, rng);
    return nelboAt(denoiser, x0, zt, batch, length, t, specials);
  }

  /**
   * {@link #nelbo} with row b's z_t drawn from {@code rows[b]} ({@link Corruption#perRow}), one
   * batched forward: equals the per-row default.
   *
   * @return summed NELBO in nats over all B·L positions
   * @throws IllegalArgumentException when the sizes do not match, or V differs from the bound V
   */
  @Override
  public NllSum nelboPerRow(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    int v = denoiser.vocabSize();
    if (vocab != 0 && vocab != v) {
      throw new IllegalArgumentException(
          "the family is bound to V = " + vocab + " but the denoiser has V = " + v);
    }
    int[] zt =
        Corruption.perRow(
            x0, batch, length, t, rows, (r, tb, rng) -> corrupt(r, 1, length, tb, v, rng));
    return nelboAt(denoiser, x0, zt, batch, length, t, specials);
  }

  /**
   * The Duo NELBO of the free positions of {@code x0} given the others (issue 16; spec §11.1 and
   * §11.2, "For Duo: corrupt response positions only (uniform noise), NELBO terms on response
   * positions"): the conditional likelihood bound used for prompted evaluation and the oracle of
   * the SFT loss.
   *
   * <p>Row b's z_t is drawn from {@code rows[b]} exactly as {@link #nelboPerRow} draws it (the
   * whole row, {@link #corrupt}), then the given positions are put back to their clean ids, so they
   * are never corrupted (z_t = x0 there) and free positions see the same noise as in the
   * unconditional NELBO on the same streams. One batched forward of that z_t at sigma_b = −log
   * alpha(t_b); the sum of {@link DuoMath#tokenLoss} over the free positions only ({@link
   * #nelboAt(Denoiser, int[], int[], boolean[], int, int, double[], SpecialTokens)}). With nothing
   * given it is {@link #nelboPerRow} bit for bit (same z_t, same terms in the same order).
   *
   * <p>Why it bounds −log p(x_free | x_given): holding the given positions at their ids is the
   * uniform-state process with alpha = 1 there, whose NELBO terms at those positions vanish (z_t =
   * x there, and a network trained so predicts them exactly); the terms of the free positions are
   * the Duo continuous-time NELBO (spec §3.2, [SD] algo.py {@code DUO_BASE._nll_per_token}) with
   * x_θ conditioned on the clean prompt through the input. s-sahoo/duo's lm-eval harness ({@code
   * discrete_diffusion_harness.py}, suffix mode) scores the same quantity (noise the row, put the
   * clean prefix back, score the suffix), except that it recomputes alpha_t from the fraction of
   * clean tokens; here alpha_t is the schedule's alpha(t_b), as in training.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param given {@code [B, L]}, true at conditioning (prompt) positions
   * @param t one time per row {@code [B]}, in (0, 1]
   * @param rows one stream per row {@code [B]}
   * @return the summed NELBO in nats over the free positions, and their number
   * @throws IllegalArgumentException when the sizes do not match, or V differs from the bound V
   */
  @Override
  public NllSum conditionalNelbo(
      Denoiser denoiser,
      int[] x0,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    int v = denoiser.vocabSize();
    if (vocab != 0 && vocab != v) {
      throw new IllegalArgumentException(
          "the family is bound to V = " + vocab + " but the denoiser has V = " + v);
    }
    Corruption.checkShapes(x0, given, batch, length, t, rows);
    int[] zt =
        Corruption.perRow(
            x0, batch, length, t, rows, (r, tb, rng) -> corrupt(r, 1, length, tb, v, rng));
    for (int i = 0; i < zt.length; i++) {
      if (given[i]) {
        zt[i] = x0[i];
      }
    }
    return nelboAt(denoiser, x0, zt, given, batch, length, t, specials);
  }

  /**
   * The NELBO integrand at a given z_t: Σ_{b,l} {@link DuoMath#tokenLoss} with x_θ the float64
   * softmax of one forward of z_t at sigma_b = −log alpha(t_b) (mask logit −1e6). Every position
   * contributes (under uniform noise any token may be noise).
   *
   * @param zt network input {@code [B, L]}
   * @return the sum in nats and B·L
   */
  public NllSum nelboAt(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials) {
    return nelboAt(denoiser, x0, zt, null, batch, length, t, specials);
  }

  /**
   * {@link #nelboAt(Denoiser, int[], int[], int, int, double[], SpecialTokens)} scoring only the
   * positions where {@code given} is false (the network still sees the whole z_t); the terms are
   * summed in row-major order, so with nothing given the sum is the same number.
   *
   * @param given {@code [B, L]} true at unscored (conditioning) positions, or null for none
   * @return the sum in nats over the scored positions, and their number
   */
  public NllSum nelboAt(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials) {
    Corruption.checkShapes(x0, zt, batch, length, t);
    if (given != null && given.length != x0.length) {
      throw new IllegalArgumentException(
          "the given mask has " + given.length + " entries for " + x0.length + " tokens");
    }
    float[] sigma = new float[batch];
    for (int b = 0; b < batch; b++) {
      if (!(t[b] > 0 && t[b] <= 1)) {
        throw new IllegalArgumentException("the Duo NELBO needs t in (0, 1], got " + t[b]);
      }
      sigma[b] = (float) schedule.sigma(t[b]);
    }
    Logits logits = DuoStepLoop.forward(denoiser, zt, batch, length, sigma);
    int v = logits.vocab();
    int mask = specials.mask();
    double[] p = new double[v];
    double total = 0;
    long tokens = 0;
    for (int b = 0; b < batch; b++) {
      double alpha = schedule.alpha(t[b]);
      double move = schedule.moveProbability(t[b]);
      double alphaPrime = schedule.alphaDerivative(t[b]);
      for (int l = 0; l < length; l++) {
        int i = b * length + l;
        if (given != null && given[i]) {
          continue;
        }
        MaskedSoftmax.softmax(logits.values(), logits.offset(b, l), v, mask, p);
        total += DuoMath.tokenLoss(p, 0, v, x0[i], zt[i], alpha, move, alphaPrime);
        tokens++;
      }
    }
    return new NllSum(total, tokens);
  }

  /**
   * The ancestral sampler (spec §3.3), see {@link DuoSampler}. Options: {@code
   * noise_removal=ancestral|greedy|none} (default {@code ancestral}; {@code greedy} is the greedy
   * tail), and {@code greedy_tail=true|false} (same as {@code noise_removal=greedy}). {@link
   * SamplerSpec#topP()} filters x_θ before the posterior ([DUO] style, renormalised).
   *
   * @throws InvalidInputException for an unknown option or value, or T &lt; 1
   */
  @Override
  public Sampler newSampler(SamplerSpec spec) {
    return DuoSampler.of(spec, schedule);
  }
}
