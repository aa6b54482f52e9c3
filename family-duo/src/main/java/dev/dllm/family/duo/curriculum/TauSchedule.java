package dev.dllm.family.duo.curriculum;

/**
 * The softmax temperature τ of Duo's curriculum by optimizer step (spec §3.5 item 5; [DUO] algo.py
 * {@code DUO._compute_gumbel_tau_inverse}): log10 τ = {@code log10Start} before step {@code start},
 * linear in log10 τ up to {@code log10End} at step {@code end}, and {@value #AFTER_LOG10}
 * (effectively argmax) after {@code end}. The OWT/LM1B recipes use start = end = −3 over steps
 * 0..500k; duo.yaml defaults to −1 → −2 over 100k..200k.
 *
 * @param log10Start log10 τ until step {@code start}
 * @param log10End log10 τ at step {@code end}
 * @param start first step of the linear part
 * @param end last curriculum step (after it, the plain Duo loss is used)
 */
public record TauSchedule(double log10Start, double log10End, long start, long end) {
  /** log10 τ after the curriculum. */
  public static final double AFTER_LOG10 = -10;

  /**
   * @throws IllegalArgumentException when start &gt; end, a step is negative or a bound is not
   *     finite
   */
  public TauSchedule {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException(
          "need 0 <= curriculum start <= end, got " + start + ", " + end);
    }
    if (!Double.isFinite(log10Start) || !Double.isFinite(log10End)) {
      throw new IllegalArgumentException("log10 tau bounds must be finite");
    }
  }

  /** log10 τ at {@code step}. */
  public double log10Tau(long step) {
    if (step > end) {
      return AFTER_LOG10;
    }
    if (step <= start || end == start) {
      return step <= start ? log10Start : log10End;
    }
    double f = (double) (step - start) / (end - start);
    return log10Start + f * (log10End - log10Start);
  }

  /** τ at {@code step}. */
  public double tau(long step) {
    return Math.pow(10, log10Tau(step));
  }

  /** Whether {@code step} is a curriculum step (otherwise the plain Duo loss applies, item 6). */
  public boolean active(long step) {
    return step <= end;
  }
}
