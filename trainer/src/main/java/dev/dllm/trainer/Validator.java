package dev.dllm.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.trainer.data.TrainingData;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import dev.dllm.trainer.optim.Ema;
import dev.dllm.trainer.optim.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Validation likelihood through the family's float64 reference math (spec §6.1): for every
 * validation batch, one stratified time per sequence ({@link TimeSampler#sampleEval}), then {@link
 * DiffusionFamily#nelbo} over the given {@link Denoiser}. ELBO weights are always used for
 * diffusion families, whatever the training objective (spec §10.4); AR gives its exact NLL. Sums
 * and token counts are accumulated in float64 over the whole split (token-weighted). Fine-tuning
 * data ({@link TrainingData#validGiven} not null) is scored with {@link
 * DiffusionFamily#conditionalNelbo}: the free positions (response and EOS padding) given the
 * prompt, one stream per row split from the batch's.
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
    return run(family, denoiser, data, batch, maxBatches, seed, Progress.NONE);
  }

  /**
   * The number of batches {@link #run} scores: ceil(validation sequences / batch), at most {@code
   * maxBatches} when that is positive.
   */
  static long batches(TrainingData data, int batch, int maxBatches) {
    long n = (data.validSequences() + batch - 1) / batch;
    return maxBatches > 0 ? Math.min(n, maxBatches) : n;
  }

  /**
   * {@link #run(DiffusionFamily, Denoiser, TrainingData, int, int, long)}, advancing {@code
   * progress} by one per batch scored.
   */
  public static ValidationResult run(
      DiffusionFamily family,
      Denoiser denoiser,
      TrainingData data,
      int batch,
      int maxBatches,
      long seed,
      Progress progress) {
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
      boolean[] given = data.validGiven(i, batch);
      NllSum s;
      if (given == null) {
        s = family.nelbo(denoiser, x0.ids(), x0.batch(), x0.length(), t, specials, rng);
      } else { // fine-tuning: the response (and its EOS padding) given the prompt
        Rng[] rows = new Rng[x0.batch()];
        for (int r = 0; r < rows.length; r++) {
          rows[r] = rng.split();
        }
        s =
            family.conditionalNelbo(
                denoiser, x0.ids(), given, x0.batch(), x0.length(), t, specials, rows);
      }
      meter.add(s);
      done++;
      progress.advance(1);
    }
    return ValidationResult.of(meter.total(), done);
  }

  /**
   * Validates a model during training ({@link Trainer}): with dropout off, on the EMA weights when
   * the run keeps an EMA, else on the model itself; {@code --batch} sequences per batch, at most
   * {@code --val-batches} batches, draws from {@code seed + 17}. The model's training mode is
   * restored afterwards.
   *
   * @param ema the run's EMA, or null
   * @param root the manager that holds the EMA model while it is scored
   * @param reporter shows the validation's progress in batches (phase {@code phase})
   */
  static ValidationResult ofModel(
      TrainConfig config,
      DiffusionFamily family,
      DitModel model,
      Ema ema,
      NDManager root,
      TrainingData data,
      ProgressReporter reporter,
      String phase) {
    boolean wasTraining = model.isTraining();
    model.setTraining(false);
    long total = batches(data, config.batch(), config.valBatches());
    try (Progress p = reporter.start(phase, Math.max(1, total), "batches")) {
      if (ema == null) {
        try (DjlDenoiser den = new DjlDenoiser(model)) {
          return run(family, den, data, config.batch(), config.valBatches(), config.seed() + 17, p);
        }
      }
      try (DitModel emaModel = DitModel.fromWeights(root, weightsOf(model.config(), ema.shadow()));
          DjlDenoiser den = new DjlDenoiser(emaModel)) {
        return run(family, den, data, config.batch(), config.valBatches(), config.seed() + 17, p);
      }
    } finally {
      model.setTraining(wasTraining);
    }
  }

  /** Float32 copies of {@code arrays} as weights of shape {@code cfg}. */
  static DitWeights weightsOf(DitConfig cfg, Map<String, NDArray> arrays) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      out.put(e.getKey(), Tensors.toTensor(e.getValue()));
    }
    return new DitWeights(cfg, out);
  }
}
