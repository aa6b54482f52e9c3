package dev.dllm.family.mdlm;

import dev.dllm.api.Corruption;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * Masked diffusion ({@code mdlm}, spec §2; Sahoo et al. 2024; [SD] algo.py {@code MDLM}):
 * absorbing-state corruption under the log-linear schedule, a bidirectional DiT without time
 * conditioning (sigma = 0), the SUBS parameterisation ({@link Subs}) and the continuous-time NELBO
 * with weight -alpha'_t / (1 - alpha_t) = 1/t at masked positions. Conditioning (spec §11.1–11.2):
 * given positions are kept clean and never scored, in sampling ({@link MdlmSampler}) and in
 * likelihood ({@link #conditionalNelbo}).
 */
public final class MdlmFamily implements DiffusionFamily {
  private final NoiseSchedule schedule;

  /** MDLM with the log-linear schedule (alpha_0 = 1, eps = 1e-3). */
  public MdlmFamily() {
    this(new LogLinearSchedule());
  }

  /** MDLM with another schedule (tests, ablations). */
  public MdlmFamily(NoiseSchedule schedule) {
    this.schedule = schedule;
  }

  @Override
  public String name() {
    return "mdlm";
  }

  @Override
  public String description() {
    return "masked diffusion: absorbing-state noise, SUBS, continuous-time NELBO, ancestral samplers";
  }

  @Override
  public BackboneSpec backbone() {
    return new BackboneSpec(BackboneSpec.Attention.BIDIRECTIONAL, false);
  }

  @Override
  public NoiseSchedule schedule() {
    return schedule;
  }

  /**
   * Absorbing-state corruption (spec §1.5): each token is replaced by the mask id with probability
   * 1 - alpha_t of its row, independently; one uniform per token in row-major order.
   *
   * @throws InvalidInputException when the tokenizer has no mask id
   * @throws IllegalArgumentException when the array sizes do not match [B, L] / [B]
   */
  @Override
  public int[] corrupt(
      int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
    return Corruption.absorbing(x0, batch, length, t, schedule, maskId(specials), rng);
  }

  /**
   * Continuous-time NELBO of the batch in float64 (spec §2.2): draws z_t with {@link #corrupt} (the
   * first use of {@code rng}, so corrupt with an equal Rng reproduces it), then {@link #nelboAt}.
   *
   * @param t one time per row {@code [B]}, in (0, 1]
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
    int[] zt = corrupt(x0, batch, length, t, specials, rng);
    return nelboAt(denoiser, x0, zt, batch, length, t, specials);
  }

  /**
   * {@link #nelbo} with row b's z_t drawn from {@code rows[b]} ({@link Corruption#perRow}), one
   * batched forward: equals the per-row default.
   *
   * @return summed NELBO in nats over all B·L positions
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
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
    int[] zt =
        Corruption.perRow(
            x0, batch, length, t, rows, (r, tb, rng) -> corrupt(r, 1, length, tb, specials, rng));
    return nelboAt(denoiser, x0, zt, batch, length, t, specials);
  }

  /**
   * Conditional NELBO of the free positions of {@code x0} given the others (spec §2.2 with the
   * prompt kept clean, spec §11.2; SMDM and dLLM's prompt-masked loss): row b's z_t is drawn as in
   * {@link #nelboPerRow} (one uniform per position from {@code rows[b]}, row-major, masking with
   * probability 1 − alpha(t_b)), then every given position is put back to its clean id. So given
   * positions are never corrupted (the network sees them at every t) and, being unmasked, are never
   * scored (SUBS carry-over gives them exactly 0):
   *
   * <pre>
   *   NELBO(x_free | x_given) = E_t E_{z_t} [ w(t) · Σ_{l free, z_t^l = m} −log p_θ(x^l | z_t) ],
   * </pre>
   *
   * with w = {@link NoiseSchedule#elboWeight} (1/t under the log-linear schedule), the same weight
   * as {@link #nelbo} ([SD] algo.py {@code MDLM.nll_per_token}, [MDLM] diffusion.py {@code
   * _forward_pass_diffusion}), applied with the row's own t: the masking rate of the free positions
   * is 1 − alpha_t, so no re-estimate of alpha_t from the clean fraction is needed (Duo's harness
   * needs one because it noises the whole row before restoring the prefix, spec §11.1). It bounds
   * −log p(x_free | x_given) under the conditional sampler of {@link MdlmSampler}; for an exact
   * denoiser it equals it up to the schedule's ε (any-order AR identity: ∫ dt/t over Bin(n, t)
   * masks averages the n! orders). Because the draws are the same whatever is given, the empty case
   * is {@link #nelboPerRow} exactly, on the same streams, and a prompt changes the noise of no free
   * position.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param given {@code [B, L]}, true at conditioning (prompt) positions
   * @param t one time per row {@code [B]}, in (0, 1]
   * @param rows one stream per row {@code [B]}
   * @return summed NELBO in nats; tokens = the number of free positions (all of B·L when nothing is
   *     given, as {@link #nelboPerRow})
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   * @throws InvalidInputException when the tokenizer has no mask id
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
    Corruption.checkShapes(x0, given, batch, length, t, rows);
    int[] zt =
        Corruption.perRow(
            x0, batch, length, t, rows, (r, tb, rng) -> corrupt(r, 1, length, tb, specials, rng));
    long free = 0;
    for (int i = 0; i < zt.length; i++) {
      if (given[i]) {
        zt[i] = x0[i]; // kept clean: never corrupted, never scored
      } else {
        free++;
      }
    }
    NllSum sum = nelboAt(denoiser, x0, zt, batch, length, t, specials);
    return new NllSum(sum.nll(), free);
  }

  /**
   * The NELBO integrand at a given z_t: Σ_{b,l} w(t_b) · (-log p_SUBS(x0^l | z_t)) with w = {@link
   * NoiseSchedule#elboWeight} (1/t), one forward of z_t with sigma = 0. Unmasked positions
   * contribute exactly 0 (carry-over), so a z_t with nothing masked gives exactly 0.
   *
   * @param zt network input {@code [B, L]}
   * @return the sum in nats and B·L (all positions, spec §10.3)
   */
  public NllSum nelboAt(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials) {
    return weightedNll(denoiser, x0, zt, batch, length, specials, schedule::elboWeight, t);
  }

  /**
   * The discrete-time (T-step) NELBO (MDLM paper, discrete-time bound; spec §1.3 "discrete-time
   * option"), summed exactly over the steps i = 1..T with t(i) = i/T, s(i) = (i-1)/T: Σ_i (alpha_s
   * - alpha_t)/(1 - alpha_t) · Σ_{masked l} -log p(x0^l | z_t), one z_t draw per row and step, T
   * forwards. No reconstruction term (alpha_0 = 1) and no prior term (spec §2.2).
   *
   * @return summed NELBO in nats over B·L positions
   */
  public NllSum nelboDiscrete(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      int steps,
      SpecialTokens specials,
      Rng rng) {
    if (steps < 1) {
      throw new IllegalArgumentException("discrete NELBO needs T >= 1, got " + steps);
    }
    double total = 0;
    double[] t = new double[batch];
    for (int i = 1; i <= steps; i++) {
      double ti = (double) i / steps;
      double si = (double) (i - 1) / steps;
      double alphaT = schedule.alpha(ti);
      double weight = (schedule.alpha(si) - alphaT) / (1 - alphaT);
      java.util.Arrays.fill(t, ti);
      int[] zt = corrupt(x0, batch, length, t, specials, rng);
      total += weightedNll(denoiser, x0, zt, batch, length, specials, unused -> weight, t).nll();
    }
    return new NllSum(total, (long) batch * length);
  }

  private static NllSum weightedNll(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int batch,
      int length,
      SpecialTokens specials,
      java.util.function.DoubleUnaryOperator weight,
      double[] t) {
    int mask = maskId(specials);
    Corruption.checkShapes(x0, zt, batch, length, t);
    Logits logits =
        denoiser.forward(new TokenBatch(zt, batch, length), null).requireShape(batch, length);
    double total = 0;
    for (int b = 0; b < batch; b++) {
      double row = 0;
      for (int l = 0; l < length; l++) {
        int i = b * length + l;
        row -= Subs.logProb(logits, b, l, zt[i], x0[i], mask);
      }
      if (row != 0) { // unmasked positions are exactly 0; avoids 0 * inf at t = 0
        total += weight.applyAsDouble(t[b]) * row;
      }
    }
    return new NllSum(total, (long) batch * length);
  }

  /**
   * A sampler (spec §2.3). Options: {@code
   * predictor=ancestral|ancestral_cache|fixed_count|confidence} (default {@code ancestral_cache};
   * {@code confidence} takes {@code threshold}, {@code block_length} and {@code proposal}: {@link
   * dev.dllm.api.sample.ConfidenceDecoding}, and {@code cache=none|prefix|dual}: {@link
   * dev.dllm.api.sample.BlockCache}), {@code noise_removal=ancestral|none} (default {@code
   * ancestral}), {@code strides=N} and {@code stride_length=S} (semi-autoregressive generation of L
   * + N·S tokens). {@link SamplerSpec#steps()} is T &gt;= 1; {@link SamplerSpec#topP()} applies
   * nucleus filtering to p(x0) in float64.
   *
   * @throws InvalidInputException for an unknown option or a bad value
   */
  @Override
  public Sampler newSampler(SamplerSpec spec) {
    return MdlmSampler.of(spec, schedule);
  }

  static int maskId(SpecialTokens specials) {
    return Corruption.maskId(specials, "mdlm");
  }
}
