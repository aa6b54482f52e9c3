package dev.dllm.api;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Map;

/**
 * A discrete language-model family (MDLM, Duo, Eso-LM, AR): the service-provider interface every
 * family module implements and registers in {@code META-INF/services/dev.dllm.api.DiffusionFamily}.
 *
 * <p>Families are found only by {@link FamilyRegistry} through {@link java.util.ServiceLoader}; no
 * code outside a family module names it. The pure-Java methods here are engine-free: they run on
 * any {@link Denoiser} (DJL during training, ONNX Runtime when sampling) and compute in float64.
 *
 * <p>Token batches are row-major {@code int[B * L]} arrays ({@code [B, L]}).
 */
public interface DiffusionFamily {

  /** Registry name, lower case: {@code ar}, {@code mdlm}, {@code duo}, {@code esolm}. */
  String name();

  /** One line for {@code dllm families}. */
  String description();

  /** Which backbone variant the family needs (attention pattern, time conditioning). */
  BackboneSpec backbone();

  /**
   * The family's noise schedule; {@code null} for families without one (AR).
   *
   * <p>Source: spec §1.3 ({@code LogLinear} in [SD] trainer_base.py).
   */
  NoiseSchedule schedule();

  /**
   * Forward corruption z_t ~ q_t(. | x_0), independently per token (spec §1.5).
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param t diffusion time per sequence {@code [B]}, in [1e-3, 1]
   * @return z_t {@code [B, L]}; a copy, x0 is not modified
   * @throws UnsupportedOperationException for families without a forward process (AR)
   */
  int[] corrupt(int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng);

  /**
   * Negative ELBO (or the exact NLL for AR) of a batch in float64, the reference math used by
   * evaluation and as the oracle for the DJL training loss.
   *
   * @param denoiser the network
   * @param x0 clean tokens {@code [B, L]}
   * @param t one time per sequence {@code [B]} (ignored by AR)
   * @return summed NLL in nats and the number of tokens it is normalised by
   */
  NllSum nelbo(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng);

  /**
   * {@link #nelbo} of a batch in which row b draws all its noise from its own stream {@code
   * rows[b]}, so a row's term does not depend on the rows batched with it: evaluation sums the same
   * value at any batch size (up to float summation order). The default runs {@link #nelbo} once per
   * row ({@code [1, L]}, B forwards), correct for any family; families whose noise is drawn per row
   * override it with one batched forward.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param t one time per sequence {@code [B]} (ignored by AR)
   * @param rows one stream per sequence {@code [B]}
   * @return summed NLL in nats and the number of tokens it is normalised by
   * @throws IllegalArgumentException when the sizes do not match [B, L] / [B]
   */
  default NllSum nelboPerRow(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    Corruption.checkShapes(x0, batch, length, t, rows);
    double nll = 0;
    long tokens = 0;
    for (int b = 0; b < batch; b++) {
      int[] row = java.util.Arrays.copyOfRange(x0, b * length, (b + 1) * length);
      NllSum s = nelbo(denoiser, row, 1, length, new double[] {t[b]}, specials, rows[b]);
      nll += s.nll();
      tokens += s.tokens();
    }
    return new NllSum(nll, tokens);
  }

  /**
   * Conditional likelihood of the free positions of {@code x0} given the others: the NLL (AR: the
   * exact NLL of the continuation, -Σ log p(x_l | x_&lt;l) over free l) or the NELBO with the given
   * positions kept clean and never scored (diffusion families; Duo's lm-eval harness in suffix
   * mode). {@link NllSum#tokens()} counts the scored (free) positions. With no position given it
   * equals {@link #nelboPerRow} on the same streams. Row b draws only from {@code rows[b]}.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param given {@code [B, L]}, true at prompt (conditioning) positions
   * @param t one time per sequence {@code [B]} (ignored by AR)
   * @param rows one stream per sequence {@code [B]}
   * @throws UnsupportedOperationException for a family that does not implement it while something
   *     is given
   */
  default NllSum conditionalNelbo(
      Denoiser denoiser,
      int[] x0,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    for (boolean g : given) {
      if (g) {
        throw new UnsupportedOperationException(
            "family " + name() + " does not implement conditional likelihood");
      }
    }
    return nelboPerRow(denoiser, x0, batch, length, t, specials, rows);
  }

  /**
   * A sampler configured by {@code spec}.
   *
   * @throws InvalidInputException when the spec names an option the family does not support
   */
  Sampler newSampler(SamplerSpec spec);

  /**
   * The family's step-split probe for benchmarks: what the update phase its sampler reports to a
   * {@link dev.dllm.api.sample.StepListener} is called and the share of a step it should stay under
   * (Duo: the posterior, under 10%). The default: none (benchmarks still time the network call).
   */
  default java.util.Optional<dev.dllm.api.sample.StepSplit> stepSplit() {
    return java.util.Optional.empty();
  }

  /**
   * This family configured by string options, e.g. Eso-LM's {@code alpha_0} and {@code batch_split}
   * from the command line, a checkpoint or the {@link #exportMetadata()} of an export (so {@code
   * configure(exportMetadata())} reproduces the family). Keys the family does not know are ignored.
   * The default (families without options) returns {@code this}.
   *
   * @throws InvalidInputException naming the key when a value is malformed or out of range
   */
  default DiffusionFamily configure(Map<String, String> options) {
    return this;
  }

  /**
   * Family metadata stored with a checkpoint or an ONNX export (string key/values). The default:
   * {@code family} = {@link #name()}; for a family with a {@link #schedule()} also {@code schedule}
   * = its {@link NoiseSchedule#name()} and {@code time_conditioning} = {@code true|false} from
   * {@link #backbone()}. A family with options adds its own keys to this map.
   */
  default Map<String, String> exportMetadata() {
    NoiseSchedule schedule = schedule();
    if (schedule == null) {
      return Map.of("family", name());
    }
    return Map.of(
        "family",
        name(),
        "schedule",
        schedule.name(),
        "time_conditioning",
        Boolean.toString(backbone().timeConditioned()));
  }
}
