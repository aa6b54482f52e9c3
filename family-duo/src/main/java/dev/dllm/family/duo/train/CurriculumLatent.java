package dev.dllm.family.duo.train;

import dev.dllm.api.sample.Rng;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.family.duo.curriculum.GammaBand;
import dev.dllm.family.duo.curriculum.TopKLatent;
import java.util.Arrays;

/**
 * The soft network input and discrete target of one curriculum micro-batch (spec §3.5 items 1-4):
 * per row, γ_t from the band, alpha_t and alpha'_t from the Gaussian-to-discrete table; per token,
 * the Gaussian latent w = α̃ e_x + σ̃ ε drawn in its top-k form ({@link TopKLatent}, exact for the
 * kept coordinates and for z_t = argmax w), the unnormalised network weights w/τ at the kept ids
 * and {@link #DROPPED} elsewhere (so softmax(weights) puts no mass there: the tail mass, below
 * e^-50 of the top for τ = 1e-3 and k = 64, is dropped; with k &gt;= V nothing is dropped).
 *
 * @param weights unnormalised soft input {@code [B, L, V]} row-major (w/τ)
 * @param zt the discrete state argmax w {@code [B, L]}
 * @param alpha alpha_t per row
 * @param move 1 − alpha_t per row
 * @param alphaPrime dalpha_t/dt per row
 * @param sigma −log alpha_t per row (time conditioning)
 */
record CurriculumLatent(
    int kept,
    long[] ids,
    float[] values,
    int[] zt,
    double[] alpha,
    double[] move,
    double[] alphaPrime,
    float[] sigma) {

  /** The weight of coordinates outside the top k. */
  static final float DROPPED = -1e30f;

  /**
   * Draws the latents from {@code batch.rng()}, in row-major token order. At a given (prompt)
   * position of an SFT batch nothing is drawn (how many draws a latent takes depends on the token):
   * z_t = x0 and the soft input is exactly one-hot on x0 (weight 0 at x0, {@link #DROPPED} at the
   * other kept ids x0 + 1, x0 + 2, … mod V), so the network sees the clean prompt.
   *
   * @param k kept coordinates per token
   * @param tau the softmax temperature τ
   */
  static CurriculumLatent draw(TrainingBatch batch, int vocab, GammaBand band, int k, double tau) {
    int b = batch.batch();
    int length = batch.length();
    int kept = Math.min(k, vocab);
    long[] ids = new long[b * length * kept];
    float[] values = new float[b * length * kept];
    int[] zt = new int[b * length];
    double[] alpha = new double[b];
    double[] move = new double[b];
    double[] alphaPrime = new double[b];
    float[] sigma = new float[b];
    Rng rng = batch.rng();
    for (int row = 0; row < b; row++) {
      double[] at = band.at(batch.t()[row]);
      alpha[row] = at[0];
      move[row] = 1 - at[0];
      alphaPrime[row] = at[1];
      sigma[row] = (float) -Math.log(at[0]);
      for (int l = 0; l < length; l++) {
        int i = row * length + l;
        if (batch.isGiven(row, l)) {
          int x = batch.x0()[i];
          zt[i] = x;
          for (int j = 0; j < kept; j++) {
            ids[i * kept + j] = (x + j) % vocab;
            values[i * kept + j] = j == 0 ? 0f : DROPPED;
          }
          continue;
        }
        TopKLatent.Sample s = TopKLatent.sample(batch.x0()[i], vocab, k, at[2], at[3], tau, rng);
        zt[i] = s.argmax();
        for (int j = 0; j < kept; j++) {
          ids[i * kept + j] = s.ids()[j];
          values[i * kept + j] = (float) s.logits()[j];
        }
      }
    }
    return new CurriculumLatent(kept, ids, values, zt, alpha, move, alphaPrime, sigma);
  }

  /** The dense weights {@code [B·L·V]} in Java (tests; the trainer scatters on the engine). */
  float[] dense(int vocab) {
    int tokens = zt.length;
    float[] w = new float[tokens * vocab];
    Arrays.fill(w, DROPPED);
    for (int i = 0; i < tokens; i++) {
      for (int j = 0; j < kept; j++) {
        w[i * vocab + (int) ids[i * kept + j]] = values[i * kept + j];
      }
    }
    return w;
  }
}
