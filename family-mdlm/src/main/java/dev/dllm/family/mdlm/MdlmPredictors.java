package dev.dllm.family.mdlm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.family.mdlm.MdlmSampler.Predictor;

/**
 * The MDLM predictors of one block (spec §2.3; [SD] trainer_base.py {@code generate_samples},
 * {@code AbsorbingState._ancestral_update}), sigma = 0, clean positions copied through:
 *
 * <ul>
 *   <li>{@code ancestral} / {@code ancestral_cache}: T steps on linspace(1, 1e-5, T + 1), then
 *       (with noise removal) alpha_s = 1 at t = 1e-5. At a masked position: stay masked with
 *       probability (1 − alpha_s) / (1 − alpha_t) (one float64 uniform), else a token from p_x0
 *       (float64 softmax, logit[m] = −1e6, optional top-p) by Gumbel-max in ratio form ({@link
 *       Categorical#sampleLogits}); the cache reuses the logits while no token of the batch
 *       changed.
 *   <li>{@code fixed_count}: step i unmasks floor((i+1)M/T) − floor(iM/T) random masked positions
 *       per row, each drawn from p_x0; steps that unmask nothing cost no forward.
 * </ul>
 *
 * Row b draws only from {@code rows[b]}; rows run in parallel on disjoint slices.
 */
final class MdlmPredictors {
  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final Predictor predictor;
  private final boolean noiseRemoval;

  MdlmPredictors(
      NoiseSchedule schedule, int steps, double topP, Predictor predictor, boolean noiseRemoval) {
    this.schedule = schedule;
    this.steps = steps;
    this.topP = topP;
    this.predictor = predictor;
    this.noiseRemoval = noiseRemoval;
  }

  /**
   * Unmasks the masked positions of {@code x [B, L]} in place; clean positions are kept.
   *
   * @return the number of denoiser calls
   */
  int denoise(Denoiser denoiser, int[] x, int batch, int length, int mask, Rng[] rows) {
    return predictor == Predictor.FIXED_COUNT
        ? fixedCount(denoiser, x, batch, length, mask, rows)
        : ancestral(denoiser, x, batch, length, mask, rows);
  }

  private int ancestral(Denoiser denoiser, int[] x, int batch, int length, int mask, Rng[] rows) {
    if (!contains(x, mask)) {
      return 0; // every position given (or carried over): nothing to denoise, no forward
    }
    boolean cache = predictor == Predictor.ANCESTRAL_CACHE;
    Logits logits = null;
    int nfe = 0;
    double dt = (1 - MdlmSampler.T_MIN) / steps;
    for (int i = 0; i <= steps; i++) {
      boolean last = i == steps;
      if (last && !noiseRemoval) {
        break;
      }
      double t = last ? MdlmSampler.T_MIN : 1 - i * dt;
      double alphaT = schedule.alpha(t);
      double alphaS = last ? 1.0 : schedule.alpha(i == steps - 1 ? MdlmSampler.T_MIN : t - dt);
      double stay = (1 - alphaS) / (1 - alphaT);
      if (logits == null) {
        logits = forward(denoiser, x, batch, length);
        nfe++;
      }
      Logits current = logits;
      boolean[] changed = new boolean[batch];
      forEachRow(
          batch,
          b -> {
            double[] buffer = new double[current.vocab()];
            for (int l = 0; l < length; l++) {
              int j = b * length + l;
              if (x[j] != mask || rows[b].uniform() < stay) {
                continue; // copy-through, or stays masked
              }
              x[j] = drawX0(current, b, l, mask, rows[b], buffer);
              changed[b] = true;
            }
          });
      if (!cache || anyTrue(changed)) {
        logits = null;
      }
    }
    return nfe;
  }

  private int fixedCount(Denoiser denoiser, int[] x, int batch, int length, int mask, Rng[] rows) {
    int[][] masked = new int[batch][];
    int[] remaining = new int[batch];
    int[] initial = new int[batch];
    for (int b = 0; b < batch; b++) {
      int[] pos = new int[length];
      int n = 0;
      for (int l = 0; l < length; l++) {
        if (x[b * length + l] == mask) {
          pos[n++] = l;
        }
      }
      masked[b] = pos;
      remaining[b] = n;
      initial[b] = n;
    }
    int nfe = 0;
    for (int i = 0; i < steps; i++) {
      int[] k = new int[batch];
      boolean any = false;
      for (int b = 0; b < batch; b++) {
        long m = initial[b];
        k[b] = (int) ((i + 1) * m / steps - i * m / steps);
        any |= k[b] > 0;
      }
      if (!any) {
        continue;
      }
      Logits logits = forward(denoiser, x, batch, length);
      nfe++;
      forEachRow(
          batch,
          b -> {
            double[] buffer = new double[logits.vocab()];
            for (int c = 0; c < k[b]; c++) {
              int r = rows[b].nextInt(remaining[b]);
              int last = --remaining[b];
              int l = masked[b][r];
              masked[b][r] = masked[b][last];
              masked[b][last] = l;
              x[b * length + l] = drawX0(logits, b, l, mask, rows[b], buffer);
            }
          });
    }
    return nfe;
  }

  /**
   * Runs the per-row work; rows touch disjoint slices and their own Rng stream, so the result does
   * not depend on how many threads run them.
   */
  private static void forEachRow(int batch, java.util.function.IntConsumer work) {
    if (batch == 1) {
      work.accept(0);
    } else {
      java.util.stream.IntStream.range(0, batch).parallel().forEach(work);
    }
  }

  private static boolean contains(int[] x, int id) {
    for (int v : x) {
      if (v == id) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyTrue(boolean[] flags) {
    for (boolean f : flags) {
      if (f) {
        return true;
      }
    }
    return false;
  }

  private int drawX0(Logits logits, int b, int l, int mask, Rng rng, double[] buffer) {
    int vocab = logits.vocab();
    if (topP >= 1) {
      return Categorical.sampleLogits(
          logits.values(), logits.offset(b, l), vocab, mask, rng, buffer);
    }
    MaskedSoftmax.softmax(logits.values(), logits.offset(b, l), vocab, mask, buffer);
    TopP.apply(buffer, 0, vocab, topP);
    return Categorical.sample(buffer, 0, vocab, rng);
  }

  private static Logits forward(Denoiser denoiser, int[] x, int batch, int length) {
    return denoiser
        .forward(new TokenBatch(x.clone(), batch, length), null)
        .requireShape(batch, length);
  }
}
