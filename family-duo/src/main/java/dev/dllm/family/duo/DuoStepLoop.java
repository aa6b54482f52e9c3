package dev.dllm.family.duo;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.family.duo.DuoSampler.NoiseRemoval;
import dev.dllm.family.duo.DuoSampler.PromptSigma;
import java.util.function.LongSupplier;

/**
 * The step loop of {@link DuoSampler} (spec §3.3; [SD] trainer_base.py {@code generate_samples}):
 * on the grid linspace(1, 1e-5, T + 1), step i feeds z_t at every row's sigma ({@link
 * DuoSampler#rowSigma}), then redraws every free position from q(z_s | z_t, x_θ) ({@link
 * PosteriorDraw}; without top-p, decided from {@link XBounds} where they settle the part); the
 * final step at t0 = 1e-5 is the posterior with alpha_s = 1 ({@code ancestral}), argmax x_θ ({@code
 * greedy}) or skipped ({@code none}). Clamped positions are never redrawn. Row b draws only from
 * {@code rows[b]}; rows run in parallel, the samples do not depend on the thread count.
 *
 * @param clock the step clock in ns, read only with a listener
 */
record DuoStepLoop(
    NoiseSchedule schedule,
    int steps,
    double topP,
    double temperature,
    NoiseRemoval noiseRemoval,
    PromptSigma promptSigma,
    LongSupplier clock) {

  /**
   * Runs the chain on {@code x [B, L]} (the prior, given ids at clamped positions) in place.
   *
   * @param clamped {@code [B, L]}, true at given positions
   * @param givenCount given positions per row {@code [B]}
   * @return NFE = T + 1 (T with {@code none})
   */
  int run(
      Denoiser denoiser,
      int[] x,
      int batch,
      int length,
      boolean[] clamped,
      int[] givenCount,
      int mask,
      Rng[] rows,
      StepListener listener) {
    int vocab = denoiser.vocabSize();
    int nfe = 0;
    double dt = (1 - DuoSampler.T_MIN) / steps;
    for (int i = 0; i <= steps; i++) {
      boolean last = i == steps;
      if (last && noiseRemoval == NoiseRemoval.NONE) {
        break;
      }
      long t0 = listener == null ? 0 : clock.getAsLong();
      double t = last ? DuoSampler.T_MIN : 1 - i * dt;
      double alphaT = schedule.alpha(t);
      double alphaS = last ? 1.0 : schedule.alpha(i == steps - 1 ? DuoSampler.T_MIN : t - dt);
      double sigmaT = schedule.sigma(t);
      float[] sigma = new float[batch];
      for (int b = 0; b < batch; b++) {
        sigma[b] = (float) DuoSampler.rowSigma(promptSigma, sigmaT, givenCount[b], length);
      }
      TokenBatch input = new TokenBatch(x.clone(), batch, length);
      long t1 = listener == null ? 0 : clock.getAsLong();
      Logits logits = forward(denoiser, input, sigma);
      long t2 = listener == null ? 0 : clock.getAsLong();
      nfe++;
      boolean greedy = last && noiseRemoval == NoiseRemoval.GREEDY;
      double[] bounds =
          greedy || topP < 1 || temperature != 1
              ? null
              : XBounds.ofAll(logits, x, length, mask, clamped);
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
                x[j] = PosteriorDraw.argmax(logits, b, l, mask);
              } else if (bounds == null) {
                x[j] =
                    PosteriorDraw.draw(
                        logits.values(),
                        logits.offset(b, l),
                        vocab,
                        x[j],
                        mask,
                        alphaT,
                        alphaS,
                        topP,
                        temperature,
                        rows[b],
                        buffer);
              } else {
                x[j] =
                    PosteriorDraw.drawBounded(
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
    return nfe;
  }

  private static void forEachRow(int batch, java.util.function.IntConsumer work) {
    if (batch == 1) {
      work.accept(0);
    } else {
      java.util.stream.IntStream.range(0, batch).parallel().forEach(work);
    }
  }

  /** One forward of {@code x [B, L]} (a copy) at per-row {@code sigma}, shape-checked. */
  static Logits forward(Denoiser denoiser, int[] x, int batch, int length, float[] sigma) {
    return forward(denoiser, new TokenBatch(x.clone(), batch, length), sigma);
  }

  private static Logits forward(Denoiser denoiser, TokenBatch tokens, float[] sigma) {
    return denoiser.forward(tokens, sigma).requireShape(tokens.batch(), tokens.length());
  }
}
