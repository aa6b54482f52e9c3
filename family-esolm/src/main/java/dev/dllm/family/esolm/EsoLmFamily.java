package dev.dllm.family.esolm;

import dev.dllm.api.Corruption;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.HashMap;
import java.util.Map;

/**
 * Interpolating diffusion, Eso-LM (B) ({@code esolm}, spec §4; Sahoo et al., "Esoteric Language
 * Models"; [SD]/[ESO] algo.py {@code EsoLM}): absorbing-state noise under alpha_t = alpha_0 (1 − (1
 * − ε) t), a DiT that is causal over a per-row random order of the positions (clean tokens first)
 * with the rotary phases of the original positions, no time conditioning, and the bound −log p(x) ≤
 * L_AR + L_MDM:
 *
 * <ul>
 *   <li>L_MDM (diffusion branch, skipped when alpha_0 = 0): w(t) Σ_{masked l} −log p(x^l | z_t)
 *       with w = alpha_0 (1 − ε) / (1 − alpha_t) ({@link EsoLmSchedule#elboWeight}).
 *   <li>L_AR (sequential branch, skipped when alpha_0 = 1): Σ_{masked l of z_0} −log p(x^l | z_0,
 *       earlier masked x), the masked tokens of z_0 ~ q_{alpha_0} generated left to right.
 * </ul>
 *
 * <p>alpha_0 = 1 is an MDLM with a sorted-causal transformer; alpha_0 = 0 is AR with the next token
 * predicted at a mask placed at its own position.
 */
public final class EsoLmFamily implements DiffusionFamily {
  private final EsoLmSchedule schedule;
  private final double batchSplit;
  private final EsoLmNelbo nelbo;

  /** Eso-LM (B) as trained by [SD]: alpha_0 = 1, batch_split = 1. */
  public EsoLmFamily() {
    this(1.0, 1.0);
  }

  /**
   * @param alpha0 alpha_0 in [0, 1]
   * @param batchSplit fraction of the batch rows that estimate L_MDM in {@link #splitLoss} (the
   *     rest estimate L_AR); 0.5 in the [ESO] scripts for 0 &lt; alpha_0 &lt; 1
   * @throws InvalidInputException when a value is outside [0, 1]
   */
  public EsoLmFamily(double alpha0, double batchSplit) {
    if (!(alpha0 >= 0 && alpha0 <= 1)) {
      throw new InvalidInputException("esolm alpha_0 must be in [0, 1], got " + alpha0);
    }
    if (!(batchSplit >= 0 && batchSplit <= 1)) {
      throw new InvalidInputException("esolm batch split must be in [0, 1], got " + batchSplit);
    }
    this.schedule = new EsoLmSchedule(alpha0);
    this.batchSplit = batchSplit;
    this.nelbo = new EsoLmNelbo(this);
  }

  @Override
  public String name() {
    return "esolm";
  }

  @Override
  public String description() {
    return "interpolating diffusion (Eso-LM B): alpha_0 between AR and MDLM, sorted-causal DiT,"
        + " KV-cached sampling";
  }

  @Override
  public BackboneSpec backbone() {
    return new BackboneSpec(BackboneSpec.Attention.SORTED_CAUSAL, false);
  }

  @Override
  public EsoLmSchedule schedule() {
    return schedule;
  }

  /** alpha_0. */
  public double alpha0() {
    return schedule.alpha0();
  }

  /** The configured batch split. */
  public double batchSplit() {
    return batchSplit;
  }

  /**
   * Absorbing-state corruption with alpha_t of this schedule (spec §1.5), one uniform per token in
   * row-major order: the same draws as MDLM's corruption for the same Rng when alpha_0 = 1.
   *
   * @throws InvalidInputException when the tokenizer has no mask id
   */
  @Override
  public int[] corrupt(
      int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
    return Corruption.absorbing(x0, batch, length, t, schedule, maskId(specials), rng);
  }

  /**
   * The bound L_AR + L_MDM of every row in float64, both branches on every row (the per-row
   * estimate of spec §4.1 with ELBO weights; lower variance than the batch split, same
   * expectation). Uses {@code rng} for z_t (when alpha_0 &gt; 0, exactly as {@link #corrupt}), then
   * z_0 ~ q_{alpha_0} (when alpha_0 &lt; 1), then one split of it for the orders.
   *
   * @param t one time per row {@code [B]}, in (0, 1]
   * @return the summed bound in nats over B·L positions
   * @throws UnsupportedOperationException when the denoiser takes no attention layout
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
    return nelbo.plain(denoiser, x0, batch, length, t, specials, rng);
  }

  /**
   * The bound at given noisy inputs: Σ_b [w(t_b) Σ_{l: z_t = m} −log p(x^l | z_t) + Σ_{l: z_0 = m}
   * −log p(x^l | z_0, x^{earlier masked})], with the diffusion orders of all rows drawn from {@code
   * orderRng} first, then the sequential orders.
   *
   * @param zt z_t {@code [B, L]}, or null to skip L_MDM (must be null iff alpha_0 = 0)
   * @param z0 z_0 {@code [B, L]}, or null to skip L_AR (must be null iff alpha_0 = 1)
   * @return the sum in nats and B·L
   */
  public NllSum nelboAt(
      Denoiser denoiser,
      int[] x0,
      int[] zt,
      int[] z0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng orderRng) {
    return nelbo.at(denoiser, x0, zt, z0, batch, length, t, specials, orderRng);
  }

  /**
   * {@link #nelbo} with row b drawing all its noise from {@code rows[b]} exactly as {@link #nelbo}
   * draws it for a batch of one (z_t, then z_0, then one split for its diffusion and then its
   * sequential order), with batched forwards: equals the per-row default.
   *
   * @return the summed bound in nats over B·L positions
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
    return nelbo.perRow(denoiser, x0, null, batch, length, t, specials, rows);
  }

  /**
   * The conditional bound of the free positions given the others (spec §11.1; the Eso-LM reading of
   * the prompt-clean NELBO of Duo's lm-eval harness, suffix mode): the forward process runs on the
   * free positions only, so with x_G the given tokens and x_F the free ones, −log p(x_F | x_G) ≤
   * L_AR + L_MDM where
   *
   * <ul>
   *   <li>L_MDM = w(t) Σ_{free l: z_t^l = m} −log p(x^l | z_t) with z_t ~ q_t on the free positions
   *       and the given ones clean, and the diffusion order = the given positions first (left to
   *       right, as the conditional sampler feeds them), then the other clean tokens in random
   *       order, then the masked ones in random order ({@link Orders#diffusion(int[], int, int,
   *       int, boolean[], Rng)});
   *   <li>L_AR (alpha_0 &lt; 1) = Σ_{free l: z_0^l = m} −log p(x^l | z_0, earlier masked x), z_0 ~
   *       q_{alpha_0} on the free positions, the sequential order = given first, the other clean
   *       tokens random, the masked ones left to right.
   * </ul>
   *
   * Given positions are never corrupted and never scored. The draws are exactly those of {@link
   * #nelboPerRow} (a uniform per position is drawn at given positions too and discarded, then the
   * given token is put back), so with nothing given both return the same numbers on the same
   * streams.
   *
   * @param given {@code [B, L]}, true at conditioning positions
   * @return the summed bound in nats; tokens = the number of free positions
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
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
    return nelbo.perRow(denoiser, x0, given, batch, length, t, specials, rows);
  }

  /**
   * The training estimator of [SD]/[ESO] {@code EsoLM._loss} in float64 (the oracle for a DJL
   * objective): rows [0, n) estimate L_MDM with times {@code t[0 .. n)}, rows [n, B) estimate L_AR,
   * n = floor(batch_split · B) (n = B when alpha_0 = 1, n = 0 when alpha_0 = 0); the batch is
   * {@link EsoLmBatch#draw} (z_t, then z_0, then the orders from one split of {@code rng}).
   *
   * @param lowVar the training-only {@code low_var} objective: weight 1 instead of w(t)
   */
  public SplitLoss splitLoss(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng,
      boolean lowVar) {
    return nelbo.splitLoss(denoiser, x0, batch, length, t, specials, rng, lowVar);
  }

  /**
   * The two parts of the batch-split estimator.
   *
   * @param diffusionSum Σ of the weighted masked losses of the diffusion rows (nats)
   * @param diffusionTokens diffusion rows · L
   * @param arSum Σ of the masked losses of the AR rows (nats)
   * @param arTokens AR rows · L
   */
  public record SplitLoss(double diffusionSum, long diffusionTokens, double arSum, long arTokens) {
    /** The optimised scalar: arSum / arTokens + diffusionSum / diffusionTokens (nats/token). */
    public double value() {
      return (arTokens > 0 ? arSum / arTokens : 0)
          + (diffusionTokens > 0 ? diffusionSum / diffusionTokens : 0);
    }
  }

  /**
   * A sampler (spec §4.4): the binomial unmasking plan over T = {@link SamplerSpec#steps()} steps
   * (empty steps skipped), then the left-to-right sequential phase for the tokens left masked when
   * alpha_0 &lt; 1. Option {@code kv_cache=true|false} (default true: use the denoiser's windowed
   * KV cache when it has one).
   */
  @Override
  public Sampler newSampler(SamplerSpec spec) {
    return EsoLmSampler.of(spec, schedule);
  }

  /**
   * A family with {@code alpha_0} and {@code batch_split} from {@code options} (absent keys keep
   * this family's values; other keys are ignored), e.g. {@code configure(exportMetadata())}.
   *
   * @throws InvalidInputException naming the key for a non-number or a value outside [0, 1]
   */
  @Override
  public EsoLmFamily configure(Map<String, String> options) {
    return new EsoLmFamily(
        number(options, "alpha_0", alpha0()), number(options, "batch_split", batchSplit));
  }

  private static double number(Map<String, String> options, String key, double fallback) {
    String v = options.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      double d = Double.parseDouble(v.trim());
      if (!(d >= 0 && d <= 1)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("esolm option " + key + " must be in [0, 1], got " + v);
    }
  }

  /**
   * The SPI's family, schedule and time_conditioning, plus {@code alpha_0} and {@code batch_split}.
   */
  @Override
  public Map<String, String> exportMetadata() {
    Map<String, String> m = new HashMap<>(DiffusionFamily.super.exportMetadata());
    m.put("alpha_0", Double.toString(alpha0()));
    m.put("batch_split", Double.toString(batchSplit));
    return Map.copyOf(m);
  }

  static int maskId(SpecialTokens specials) {
    return Corruption.maskId(specials, "esolm");
  }
}
