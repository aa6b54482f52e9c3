package dev.dllm.family.duo.distill;

/**
 * Step sizes and teacher rounds of Discrete Consistency Distillation (spec §9.1; [DUO] algo.py
 * {@code Distillation}, configs/algo/distillation.yaml): dt = 2^floor(step / updateEvery) / T,
 * doubling every teacher round (T = 512, updateEvery = 10,000 in scripts/distil_owt.sh: 1/512 →
 * 16/512 after 40k steps), capped at 1; the frozen teacher is refreshed from the student whenever
 * step is a multiple of updateEvery. Times: t ← clip(t + dt, 0, 1), s = t − dt.
 *
 * @param steps T, the step-grid resolution (&gt;= 1)
 * @param updateEvery steps per teacher round (&gt;= 1)
 */
public record DcdSchedule(int steps, long updateEvery) {
  /**
   * @throws IllegalArgumentException for T &lt; 1 or updateEvery &lt; 1
   */
  public DcdSchedule {
    if (steps < 1 || updateEvery < 1) {
      throw new IllegalArgumentException(
          "need T >= 1 and update_every >= 1, got " + steps + ", " + updateEvery);
    }
  }

  /** The teacher round of {@code step} (0 first). */
  public long round(long step) {
    return step / updateEvery;
  }

  /** dt at {@code step}: 2^round / T, at most 1. */
  public double dt(long step) {
    long r = round(step);
    return r >= 62 ? 1.0 : Math.min(1.0, (double) (1L << r) / steps);
  }

  /** Whether the teacher is refreshed from the student before {@code step}. */
  public boolean refreshTeacher(long step) {
    return step % updateEvery == 0;
  }

  /**
   * The (t, s) pair of a sampled time u in [0, 1]: t = min(u + dt, 1), s = t − dt.
   *
   * @return {t, s}
   */
  public double[] times(double u, long step) {
    double dt = dt(step);
    double t = Math.min(Math.max(u + dt, 0), 1);
    return new double[] {t, t - dt};
  }
}
