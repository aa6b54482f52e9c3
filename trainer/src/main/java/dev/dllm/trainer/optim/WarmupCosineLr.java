package dev.dllm.trainer.optim;

/**
 * Linear warmup then cosine decay to a floor, stepped once per optimizer step (spec §8.1, [SD]
 * utils.py {@code WarmupCosineLR}):
 *
 * <pre>
 *   lr(s) = base * (s + 1) / W                                              for s &lt; W
 *   lr(s) = min + (base - min) * (1 + cos(pi * min(1, (s - W) / (S - W)))) / 2   otherwise
 * </pre>
 *
 * with s the 0-based step, W the warmup steps and S the total steps.
 *
 * @param base peak learning rate
 * @param min floor reached at step S
 * @param warmup W (0 disables warmup)
 * @param total S
 */
public record WarmupCosineLr(double base, double min, long warmup, long total) {
  public WarmupCosineLr {
    if (!(base > 0) || !(min >= 0) || min > base) {
      throw new IllegalArgumentException("need 0 <= min_lr <= lr and lr > 0: " + base + ", " + min);
    }
    if (warmup < 0 || total < 1) {
      throw new IllegalArgumentException("need warmup >= 0 and total >= 1");
    }
  }

  /**
   * The reference default W = int(max(0.01 S, 100)), capped at S / 10 so that short CPU runs spend
   * most of their steps after warmup (the cap is ours; at S &gt;= 1000 it never binds).
   */
  public static long defaultWarmup(long total) {
    long w = (long) Math.max(0.01 * total, 100);
    return Math.min(w, total / 10);
  }

  /** Learning rate of 0-based step {@code s}. */
  public double at(long s) {
    if (s < warmup) {
      return base * (s + 1) / warmup;
    }
    double progress = total > warmup ? Math.min(1.0, (double) (s - warmup) / (total - warmup)) : 1;
    return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
