package dev.dllm.trainer;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.trainer.data.TrainingData;

/**
 * Validation likelihood through the family's float64 reference math (spec §6.1): for every
 * validation batch, one stratified time per sequence ({@link TimeSampler#sampleEval}), then {@link
 * DiffusionFamily#nelbo} over the given {@link Denoiser}. ELBO weights are always used for
 * diffusion families, whatever the training objective (spec §10.4); AR gives its exact NLL. Sums
 * and token counts are accumulated in float64 over the whole split (token-weighted).
 */
public final class Validator {
  private Validator() {}

  /**
   * Evaluates up to {@code maxBatches} batches (0 = the whole validation split).
   *
   * @param seed the draws of batch i come from {@code new Rng(seed)} split per batch in order, so
   *     the same seed scores the same corruptions
   */
  public static ValidationResult run(
      DiffusionFamily family,
      Denoiser denoiser,
      TrainingData data,
      int batch,
      int maxBatches,
      long seed) {
    SpecialTokens specials = data.tokenizer().specials();
    TimeSampler times = new TimeSampler();
    PerplexityMeter meter = new PerplexityMeter();
    Rng root = new Rng(seed);
    int done = 0;
    for (long i = 0; maxBatches == 0 || i < maxBatches; i++) {
      TokenBatch x0 = data.validBatch(i, batch);
      if (x0 == null) {
        break;
      }
      Rng rng = root.split();
      double[] t = times.sampleEval(x0.batch(), rng);
      NllSum s = family.nelbo(denoiser, x0.ids(), x0.batch(), x0.length(), t, specials, rng);
      meter.add(s);
      done++;
    }
    return ValidationResult.of(meter.total(), done);
  }
}
