package dev.dllm.family.esolm;

import dev.dllm.api.sample.Rng;

/**
 * One row of the Eso-LM sampler ({@link EsoLmSampler}), in sorted order: its plan, order, working
 * row and stream, with the lock-step helpers over a group of rows.
 *
 * @param index row index b in the batch
 * @param given G_b, the given tokens at sorted indices [0, G_b)
 * @param plan tokens per step, summing to L − G_b
 * @param order {@code order[j]} = original position at sorted index j
 * @param xs the working row, sorted order (MASK where not decoded yet)
 * @param rng the row's stream (its draws)
 */
record SamplingRow(int index, int given, int[] plan, int[] order, int[] xs, Rng rng) {

  /** The most steps of any row: the NFE of a group. */
  static int longestPlan(SamplingRow[] rows) {
    int n = 0;
    for (SamplingRow r : rows) {
      n = Math.max(n, r.plan().length);
    }
    return n;
  }

  /** The rows that still have step {@code step}, in group order. */
  static SamplingRow[] active(SamplingRow[] group, int step) {
    int n = 0;
    for (SamplingRow r : group) {
      n += r.plan().length > step ? 1 : 0;
    }
    SamplingRow[] out = new SamplingRow[n];
    int a = 0;
    for (SamplingRow r : group) {
      if (r.plan().length > step) {
        out[a++] = r;
      }
    }
    return out;
  }

  /** u[r] += k_{r,step} for every row that had step {@code step}. */
  static void advance(SamplingRow[] group, int[] u, int step) {
    for (int r = 0; r < group.length; r++) {
      if (group[r].plan().length > step) {
        u[r] += group[r].plan()[step];
      }
    }
  }
}
