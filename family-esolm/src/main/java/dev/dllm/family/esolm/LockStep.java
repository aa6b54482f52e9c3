package dev.dllm.family.esolm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The window scheduling of one group of Eso-LM rows with equal given count (spec §4.4; [SD]
 * models/dit.py {@code EsoLMDiT.forward_sample}), in lock-step: network call i performs the i-th
 * step of every row of the group that still has one. Either a full sorted-causal forward of the
 * active rows per call ({@link #uncached}), or window calls through one {@link
 * WindowKvCacheDecoder} for the whole group ({@link #cached}): each row feeds its clean tokens not
 * cached yet, then its k masks, and the call commits C = the smallest pending clean count among the
 * active rows (a row with more re-feeds the rest in the next window: exact, they are clean inputs
 * either way). Window padding is the mask id after a row's real tokens (causal attention: no real
 * query sees it), and a finished row is fed padding only. The draws are {@link RowDraws}; {@code
 * beforeCall} hears of every network call before it is made (its argument: the calls made so far).
 */
final class LockStep {
  private final RowDraws draws;
  private final IntConsumer beforeCall;

  LockStep(RowDraws draws, IntConsumer beforeCall) {
    this.draws = draws;
    this.beforeCall = beforeCall;
  }

  /** Lock-step full sorted-causal forwards over the rows of a group that still have a step. */
  void uncached(
      Denoiser denoiser,
      SamplingRow[] group,
      int length,
      int mask,
      int[] calls,
      dev.dllm.api.sample.StepListener timing) {
    int[] u = new int[group.length];
    for (int r = 0; r < group.length; r++) {
      u[r] = group[r].given();
    }
    int n = SamplingRow.longestPlan(group);
    for (int i = 0; i < n; i++) {
      beforeCall.accept(calls[0]);
      long t0 = timing == null ? 0 : System.nanoTime();
      SamplingRow[] active = SamplingRow.active(group, i);
      int[] ids = new int[active.length * length];
      int[][] orders = new int[active.length][];
      int[] from = new int[active.length];
      int[] at = new int[active.length];
      int a = 0;
      for (int r = 0; r < group.length; r++) {
        if (group[r].plan().length > i) {
          System.arraycopy(group[r].xs(), 0, ids, a * length, length);
          orders[a] = group[r].order();
          from[a] = u[r];
          at[a] = u[r];
          a++;
        }
      }
      Logits logits =
          denoiser
              .forward(
                  new TokenBatch(ids, active.length, length), null, EsoLmLayouts.diffusion(orders))
              .requireShape(active.length, length);
      long t1 = timing == null ? 0 : System.nanoTime();
      draws.draw(calls[0], logits, active, from, at, i, mask);
      SamplingRow.advance(group, u, i);
      report(timing, calls[0], t0, t1);
      calls[0]++;
    }
  }

  /**
   * Lock-step window calls through one decoder for the group: each row feeds its clean tokens not
   * yet cached, then its k masks; the call commits the smallest pending clean count of the active
   * rows.
   */
  void cached(
      WindowKvCacheDecoder decoder,
      SamplingRow[] group,
      int length,
      int mask,
      int[] calls,
      dev.dllm.api.sample.StepListener timing) {
    int[] u = new int[group.length];
    for (int r = 0; r < group.length; r++) {
      u[r] = group[r].given();
    }
    int committed = 0; // the same in every row
    int n = SamplingRow.longestPlan(group);
    for (int i = 0; i < n; i++) {
      beforeCall.accept(calls[0]);
      long t0 = timing == null ? 0 : System.nanoTime();
      int commit = Integer.MAX_VALUE;
      int width = 1;
      for (int r = 0; r < group.length; r++) {
        if (group[r].plan().length > i) {
          commit = Math.min(commit, u[r] - committed);
          width = Math.max(width, u[r] - committed + group[r].plan()[i]);
        }
      }
      int[] tokens = new int[group.length * width];
      int[] pos = new int[group.length * width];
      Arrays.fill(tokens, mask); // inert padding (after a row's real tokens, or a finished row)
      SamplingRow[] active = SamplingRow.active(group, i);
      int[] from = new int[active.length];
      int[] at = new int[active.length];
      int a = 0;
      for (int r = 0; r < group.length; r++) {
        SamplingRow row = group[r];
        if (row.plan().length > i) {
          int real = u[r] + row.plan()[i] - committed;
          System.arraycopy(row.xs(), committed, tokens, r * width, real);
          System.arraycopy(row.order(), committed, pos, r * width, real);
          from[a] = r * width + u[r] - committed; // flat window row of the first mask
          at[a] = u[r];
          a++;
        }
      }
      Logits logits = decoder.step(tokens, pos, width, commit);
      if (logits.values().length != group.length * width * logits.vocab()) {
        throw new IllegalStateException(
            "window step returned "
                + logits.values().length
                + " logits for ["
                + group.length
                + ", "
                + width
                + ", V]");
      }
      long t1 = timing == null ? 0 : System.nanoTime();
      Logits flat = new Logits(logits.values(), 1, group.length * width, logits.vocab());
      draws.drawFlat(calls[0], flat, active, from, at, i, mask);
      committed += commit;
      SamplingRow.advance(group, u, i);
      report(timing, calls[0], t0, t1);
      calls[0]++;
    }
  }

  private static void report(dev.dllm.api.sample.StepListener timing, int call, long t0, long t1) {
    if (timing != null) {
      long t2 = System.nanoTime();
      timing.step(call, t1 - t0, t2 - t1, t2 - t0);
    }
  }
}
