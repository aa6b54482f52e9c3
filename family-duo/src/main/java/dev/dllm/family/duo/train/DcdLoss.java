package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.family.duo.curriculum.GammaBand;
import dev.dllm.family.duo.distill.CoupledLatent;
import dev.dllm.family.duo.distill.DcdSchedule;

/**
 * The Discrete Consistency Distillation loss (spec §9.1; [DUO] algo.py {@code Distillation}) on DJL
 * arrays: per row, dt = 2^round / T ({@link DcdSchedule}), t ← clip(t + dt, 0, 1), s = t − dt, γ =
 * γ_min + t (γ_max − γ_min) over [{@value #GAMMA_MIN}, {@value #GAMMA_MAX}] and alpha from the
 * Gaussian-to-discrete table ({@link GammaBand}); the hard tokens (z_t, z_s) share one Gaussian ε
 * ({@link CoupledLatent}); the student sees z_t at sigma = −log alpha_t, the frozen teacher z_s at
 * sigma = −log alpha_s; loss = mean over the B·L tokens of {@code kl-bwd} = KL(student ‖ teacher) =
 * Σ_v p_S (log p_S − log p_T), both with logit[mask] = −1e6, in float32. The float64 reference is
 * {@link dev.dllm.family.duo.distill.DcdMath#kl}.
 *
 * <p>With an SFT mask ({@link TrainingBatch#given()}), both networks see the clean id at every
 * given position (no coupled latent is drawn there) and the KL is averaged over the free positions
 * only (normaliser = their number, at least 1); with {@code given == null} it is the mean over all
 * B·L tokens as before.
 */
final class DcdLoss {
  /** γ band of distillation.yaml (spec §9.1 step 2). */
  static final double GAMMA_MIN = -4;

  static final double GAMMA_MAX = -1;

  private DcdLoss() {}

  /**
   * The coupled inputs of one micro-batch, drawn from the batch's Rng (row by row, token by token,
   * {@link CoupledLatent#sample} order).
   *
   * @param zt student input {@code [B·L]}
   * @param zs teacher input {@code [B·L]}
   * @param t student times {@code [B]}
   * @param s teacher times {@code [B]} (= t − dt)
   * @param sigmaT −log alpha_t {@code [B]}
   * @param sigmaS −log alpha_s {@code [B]}
   */
  record Pair(int[] zt, int[] zs, double[] t, double[] s, float[] sigmaT, float[] sigmaS) {}

  /**
   * Draws the pair for {@code batch} at its step.
   *
   * @param schedule the round schedule (T and steps per round)
   * @param vocab V, including the mask id
   */
  static Pair draw(TrainingBatch batch, DcdSchedule schedule, int vocab) {
    int b = batch.batch();
    int length = batch.length();
    GammaBand band = new GammaBand(GAMMA_MIN, GAMMA_MAX, vocab);
    int[] zt = new int[b * length];
    int[] zs = new int[b * length];
    double[] t = new double[b];
    double[] s = new double[b];
    float[] sigmaT = new float[b];
    float[] sigmaS = new float[b];
    Rng rng = batch.rng();
    for (int row = 0; row < b; row++) {
      double[] ts = schedule.times(batch.t()[row], batch.step());
      t[row] = ts[0];
      s[row] = ts[1];
      double gammaT = band.gamma(ts[0]);
      double gammaS = band.gamma(ts[1]);
      sigmaT[row] = (float) -Math.log(band.at(ts[0])[0]);
      sigmaS[row] = (float) -Math.log(band.at(ts[1])[0]);
      for (int l = 0; l < length; l++) {
        int i = row * length + l;
        if (batch.isGiven(row, l)) {
          zt[i] = batch.x0()[i];
          zs[i] = batch.x0()[i];
          continue;
        }
        int[] z = CoupledLatent.sample(batch.x0()[i], vocab, gammaT, gammaS, rng);
        zt[i] = z[0];
        zs[i] = z[1];
      }
    }
    return new Pair(zt, zs, t, s, sigmaT, sigmaS);
  }

  /**
   * The loss of one micro-batch (see the class comment).
   *
   * @param stepsPerRound K, the teacher round length (0 = the run has no teacher)
   * @param gridSteps T of dt = 2^round / T
   * @throws InvalidInputException when the run has no frozen teacher
   */
  static NDArray loss(
      TrainingBatch batch, Backbone<NDArray> net, long stepsPerRound, int gridSteps) {
    if (stepsPerRound < 1) {
      throw noTeacher();
    }
    Backbone<NDArray> teacher;
    try {
      teacher = net.teacher();
    } catch (UnsupportedOperationException e) {
      throw noTeacher();
    }
    int b = batch.batch();
    int length = batch.length();
    Pair p = draw(batch, new DcdSchedule(gridSteps, stepsPerRound), net.vocabSize());
    NDArray teacherLogits =
        teacher.forward(teacher.ids(p.zs(), b, length), teacher.floats(p.sigmaS(), b));
    NDArray studentLogits = net.forward(net.ids(p.zt(), b, length), net.floats(p.sigmaT(), b));
    return klBwd(
        studentLogits,
        teacherLogits,
        batch.given(),
        batch.specials().mask(),
        DuoLoss.Constants.of(net));
  }

  /**
   * Mean over the B·L tokens of KL(student ‖ teacher), a scalar; consumes both logits arrays.
   *
   * @param student logits {@code [B, L, V]} (on the gradient path)
   * @param teacher logits {@code [B, L, V]} (no gradient)
   * @param maskId the suppressed id (logit −1e6), or negative for none
   */
  static NDArray klBwd(NDArray student, NDArray teacher, int maskId, DuoLoss.Constants c) {
    return klBwd(student, teacher, null, maskId, c);
  }

  /**
   * {@link #klBwd(NDArray, NDArray, int, DuoLoss.Constants)} averaged over the positions that are
   * not given.
   *
   * @param given {@code [B·L]} true at unscored (prompt) positions, or null for none (the mean over
   *     all B·L tokens, the same graph as without a mask)
   */
  static NDArray klBwd(
      NDArray student, NDArray teacher, boolean[] given, int maskId, DuoLoss.Constants c) {
    int b = (int) student.getShape().get(0);
    int length = (int) student.getShape().get(1);
    long tokens = (long) b * length;
    int vocab = (int) student.getShape().get(2);
    NDArray logT = logSoftmax(teacher.stopGradient(), maskId, vocab, c);
    teacher.close();
    NDArray logS = logSoftmax(student, maskId, vocab, c);
    student.close();
    NDArray pS = logS.exp();
    NDArray diff = logS.sub(logT);
    logT.close();
    NDArray terms = pS.mul(diff); // [B, L, V]
    diff.close();
    if (given != null) {
      float[] scored = new float[b * length];
      long free = 0;
      for (int i = 0; i < scored.length; i++) {
        if (!given[i]) {
          scored[i] = 1f;
          free++;
        }
      }
      NDArray perToken = terms.sum(new int[] {-1}); // [B, L]
      terms.close();
      return perToken
          .mul(c.floats(scored, b, length))
          .sum()
          .div(c.constant((double) Math.max(1, free)));
    }
    NDArray kl = terms.sum();
    terms.close();
    return kl.div(c.constant((double) tokens));
  }

  private static NDArray logSoftmax(NDArray logits, int maskId, int vocab, DuoLoss.Constants c) {
    if (maskId < 0 || maskId >= vocab) {
      return logits.logSoftmax(-1);
    }
    float[] bias = new float[vocab];
    bias[maskId] = -1e6f;
    try (NDArray masked = logits.add(c.floats(bias, vocab))) {
      return masked.logSoftmax(-1);
    }
  }

  private static InvalidInputException noTeacher() {
    return new InvalidInputException(
        "objective 'dcd' (Discrete Consistency Distillation) needs a frozen teacher: run dllm"
            + " distill --checkpoint DIR, or dllm train --init-from DIR --steps-per-round K");
  }
}
