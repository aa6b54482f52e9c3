package dev.dllm.family.mdlm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
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
 * MDLM samplers (spec §2.3; [SD] trainer_base.py {@code generate_samples}, {@code
 * AbsorbingState._ancestral_update}), engine-free on any {@link Denoiser} with sigma = 0.
 *
 * <ul>
 *   <li>{@code ancestral}: T steps on the grid linspace(1, 1e-5, T + 1), then (with {@code
 *       noise_removal=ancestral}) one more update at t = 1e-5 with alpha_s = 1, which unmasks all
 *       remaining positions. One forward per step: NFE = T + 1.
 *   <li>{@code ancestral_cache}: the same draws (same samples for the same seed), but the logits
 *       are reused while no token of the batch changed: NFE = number of forwards actually run &lt;=
 *       min(T, B·L) + 1 (&lt;= min(T, L) + 1 for one row; the cache is shared by the batch, as in
 *       the reference).
 *   <li>{@code fixed_count}: step i unmasks exactly floor((i+1)M/T) - floor(iM/T) random masked
 *       positions per row (M = masks at the start; with T = L exactly one per step), each drawn
 *       from p(x0 | z_t); steps that unmask nothing cost no forward.
 *   <li>{@code confidence}: Fast-dLLM's confidence-threshold parallel decoding ({@link
 *       MdlmConfidence}, options {@code threshold}, {@code block_length}, {@code proposal}): block
 *       by block, left to right, each step commits the most confident proposal of the block and
 *       every one ≥ τ; NFE adapts to the text (at most max(T, blocks)). The only MDLM predictor
 *       that honours {@link SamplerSpec#stopAtEos()}. Option {@code cache=none|prefix|dual} ({@link
 *       BlockCache}, {@link dev.dllm.api.sample.BlockCacheLoop}): Fast-dLLM's block KV cache.
 * </ul>
 *
 * <p>Reverse kernel at a masked position (ancestral): q(z_s = v) ∝ p_x0(v)(alpha_s - alpha_t) for v
 * ≠ m and q(z_s = m) ∝ 1 - alpha_s, with p_x0 the float64 softmax with logit[m] = -1e6 and optional
 * top-p. It is drawn in two exact stages: stay masked with probability (1 - alpha_s) / (1 -
 * alpha_t) (one float64 uniform), otherwise a token from p_x0 by Gumbel-max in ratio form with
 * float64 uniforms ({@link Categorical#sampleLogits}, an exact exp/log-skipping form of the same
 * argmax; with top-p, the filtered softmax and {@link Categorical#sample}). The two stages give the
 * same distribution as one Gumbel-max over q, without V uniforms for the (many) positions that stay
 * masked. Clean positions are copied through and never change.
 *
 * <p>Semi-autoregressive generation beyond L ([MDLM] {@code sample_subs_guidance}): with {@code
 * strides=N} and {@code stride_length=S}, after the first block of L tokens the first S tokens are
 * emitted, the block shifts left by S and its last S positions are re-masked and denoised again
 * (the kept L - S tokens are carried over); N times. Rows then have L + N·S tokens.
 *
 * <p>Prompts and infilling ({@link #sample(Denoiser, Conditioning, SpecialTokens, Rng[],
 * StepListener)}, spec §11.1): given positions are clean from the start and carried over (SUBS),
 * only free positions start masked; in semi-AR the new positions of each stride take the
 * conditioning's entries, so a prompt longer than one block is continued. The unconditional sampler
 * is this with nothing given.
 *
 * <p>Row b draws only from the b-th {@link Rng#split()} of the given rng (taken in row order); rows
 * are sampled in parallel (common fork-join pool, or the pool the caller runs in), and the samples
 * do not depend on the number of threads.
 */
public final class MdlmSampler implements Sampler {

  /** The last time of the step grid (spec §2.3). */
  public static final double T_MIN = 1e-5;

  /** Prediction rule per step. */
  public enum Predictor {
    ANCESTRAL,
    ANCESTRAL_CACHE,
    FIXED_COUNT,
    /** Confidence-threshold parallel decoding ({@link MdlmConfidence}). */
    CONFIDENCE
  }

  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final Predictor predictor;
  private final boolean noiseRemoval;
  private final int strides;
  private final int strideLength;
  private final ConfidenceDecoding confidence;
  private final BlockCache cache;
  private final boolean stopAtEos;

  private MdlmSampler(
      NoiseSchedule schedule,
      int steps,
      double topP,
      Predictor predictor,
      boolean noiseRemoval,
      int strides,
      int strideLength,
      ConfidenceDecoding confidence,
      BlockCache cache,
      boolean stopAtEos) {
    this.schedule = schedule;
    this.steps = steps;
    this.topP = topP;
    this.predictor = predictor;
    this.noiseRemoval = noiseRemoval;
    this.strides = strides;
    this.strideLength = strideLength;
    this.confidence = confidence;
    this.cache = cache;
    this.stopAtEos = stopAtEos;
  }

  static MdlmSampler of(SamplerSpec spec, NoiseSchedule schedule) {
    MdlmSamplerOptions o = MdlmSamplerOptions.parse(spec);
    return new MdlmSampler(
        schedule,
        spec.steps(),
        spec.topP(),
        o.predictor(),
        o.noiseRemoval(),
        o.strides(),
        o.strideLength(),
        o.confidence(),
        o.cache(),
        spec.stopAtEos());
  }

  /** L + strides·stride_length (the block itself without strides). */
  @Override
  public int outputLength(int block) {
    return block + strides * strideLength;
  }

  /** The configured predictor. */
  public Predictor predictor() {
    return predictor;
  }

  /**
   * Conditional generation (spec §2.1 SUBS carry-over and §2.3; spec §11.1; MDLM paper §3 and
   * kuleshov-group/mdlm issue #18: infilling is the same clamp). Given positions are clean in z_T
   * and, by carry-over, in every z_t: the reverse kernel only ever moves a masked position, so they
   * come back verbatim and the network sees them at every step. Only free positions start as MASK
   * and are denoised, with the same kernel as unconditional sampling; {@code fixed_count} counts M
   * = the free (masked) positions of each row, so with T = M it unmasks exactly one per step and,
   * with an exact denoiser, draws exactly from p(x_free | x_given). A prefix prompt, a suffix, or
   * several gaps are all the same rule.
   *
   * <p>Semi-autoregressive ({@code strides=N}, {@code stride_length=S}): {@code given} is the whole
   * output row, of length L_out = L + N·S, and the block the denoiser sees is L = L_out − N·S. The
   * first block is positions [0, L) of {@code given}; at stride n (1..N) the block shifts left by S
   * and its new last S positions, output positions [L + (n−1)S, L + nS), take the conditioning's
   * entries there (the given id, or MASK where free). So a prompt longer than one block is
   * continued: a block with no free position left costs no forward. Semi-AR conditions left to
   * right: a given id beyond the current block (a suffix, an EOS at the end) is honoured verbatim
   * but only seen by the network from the stride that brings it into the block, so free positions
   * before it are not drawn from the exact infill conditional (use one block, no strides, for
   * that). Source for the stride mechanics: [MDLM] diffusion.py {@code sample_subs_guidance} (spec
   * §2.3).
   *
   * <p>Row b draws only from {@code rows[b]}, one uniform per masked position per step (ancestral)
   * or per unmasking (fixed_count), in position order; given positions draw nothing. So a row's
   * sample does not depend on the rows batched with it (for a denoiser whose row b depends only on
   * row b) nor on the thread count, and {@code Conditioning.none} reproduces {@link
   * #sample(Denoiser, int, int, SpecialTokens, Rng)}. The NFE counts batched forwards; {@code
   * ancestral} skips the forwards of a block with nothing masked. The listener is not called
   * ({@link #reportsSteps()} is false) and {@link SamplerSpec#stopAtEos()} is ignored: a block is
   * generated whole (except by {@code predictor=confidence}, whose blocks run left to right from
   * the row's first free position and which may stop a row at its first generated EOS: {@link
   * MdlmConfidence}; it draws one proposal per open position of the current block per step).
   *
   * @param given {@code [B, L_out]}: FREE or the id kept at that position
   * @param rows one stream per row {@code [B]}
   * @param listener ignored (may be null)
   * @return ids {@code [B, L_out]}: the given ids verbatim, no mask ids at free positions (unless
   *     {@code noise_removal=none}), and the number of denoiser calls
   * @throws InvalidInputException when the tokenizer has no mask id, a given id is the MASK id or
   *     outside [0, V), or (semi-AR) L_out − N·S leaves a block not longer than S
   * @throws IllegalArgumentException when {@code rows} does not hold one stream per row
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser,
      Conditioning given,
      SpecialTokens specials,
      Rng[] rows,
      StepListener listener) {
    int mask = MdlmFamily.maskId(specials);
    int batch = given.batch();
    int total = given.length();
    given.checkStreams(rows);
    int length = total - strides * strideLength;
    if (strides > 0 && length <= strideLength) {
      throw new InvalidInputException(
          "a conditioning of "
              + total
              + " positions with strides="
              + strides
              + " and stride_length="
              + strideLength
              + " leaves a block of "
              + length
              + " tokens; stride_length must be below the block length");
    }
    given.checkIds(denoiser.vocabSize(), mask);
    int[] z = given.fill(new int[batch * total], mask); // z_T: given ids, MASK at free positions
    int[] x = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(z, b * total, x, b * length, length);
    }
    int nfe = denoise(denoiser, x, batch, length, mask, specials.eos(), rows);
    if (strides == 0) {
      return new SampleBatch(new TokenBatch(x, batch, length), nfe);
    }
    int[] out = new int[batch * total];
    int emitted = 0;
    for (int n = 0; n < strides; n++) {
      for (int b = 0; b < batch; b++) {
        int row = b * length;
        System.arraycopy(x, row, out, b * total + emitted, strideLength);
        System.arraycopy(x, row + strideLength, x, row, length - strideLength);
        System.arraycopy(
            z, b * total + emitted + length, x, row + length - strideLength, strideLength);
      }
      emitted += strideLength;
      nfe += denoise(denoiser, x, batch, length, mask, specials.eos(), rows);
    }
    for (int b = 0; b < batch; b++) {
      System.arraycopy(x, b * length, out, b * total + emitted, length);
    }
    return new SampleBatch(new TokenBatch(out, batch, total), nfe);
  }

  /** MDLM keeps given positions anywhere in the row (prefix, suffix, gaps). */
  @Override
  public boolean supportsInfill() {
    return true;
  }

  private void checkBlock(int length) {
    if (strides > 0 && strideLength >= length) {
      throw new InvalidInputException(
          "sampler option stride_length must be below the block length "
              + length
              + ", got "
              + strideLength);
    }
  }

  /**
   * Unmasks the masked positions of {@code x [B, L]} in place; clean positions are kept ({@link
   * MdlmPredictors}).
   *
   * @return the number of denoiser calls
   */
  int denoise(Denoiser denoiser, int[] x, int batch, int length, int mask, int eos, Rng[] rows) {
    if (predictor == Predictor.CONFIDENCE) {
      return new MdlmConfidence(confidence, cache, steps, topP, stopAtEos)
          .denoise(denoiser, x, batch, length, mask, eos, rows);
    }
    return new MdlmPredictors(schedule, steps, topP, predictor, noiseRemoval)
        .denoise(denoiser, x, batch, length, mask, rows);
  }
}
