package dev.dllm.family.esolm;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.TopP;
import java.util.stream.IntStream;

/**
 * The token draws of one Eso-LM network call (spec §4.4; [SD] algo.py {@code
 * EsoLM.generate_samples}): every active row draws its k_{b,i} tokens, in sorted order, from the
 * float64 softmax of their logits with logit[mask] = −1e6, optional top-p, and float64 Gumbel-max
 * ({@link Categorical}), each row from its own stream, rows in parallel (the samples do not depend
 * on the thread count). Reports the drawn logits to the {@link EsoLmSampler.StepListener}, if any.
 */
final class RowDraws {
  private final double topP;
  private final EsoLmSampler.StepListener listener;

  /**
   * @param topP nucleus mass (1 = off)
   * @param listener observer of the drawn logits, or null
   */
  RowDraws(double topP, EsoLmSampler.StepListener listener) {
    this.topP = topP;
    this.listener = listener;
  }

  /** Active row a draws xs[at[a] .. + k) from logits row a, sequence indices from[a] .. + k. */
  void draw(
      int call, Logits logits, SamplingRow[] active, int[] from, int[] at, int step, int mask) {
    int length = logits.length();
    int[] flatFrom = new int[active.length];
    for (int a = 0; a < active.length; a++) {
      flatFrom[a] = a * length + from[a];
    }
    drawFlat(
        call,
        new Logits(logits.values(), 1, active.length * length, logits.vocab()),
        active,
        flatFrom,
        at,
        step,
        mask);
  }

  /**
   * Active row a draws its k tokens xs[at[a] .. + k) from the flat logit rows [from[a], + k) of
   * {@code flat} ({@code [1, N, V]}), rows in parallel, each from its own stream.
   */
  void drawFlat(
      int call, Logits flat, SamplingRow[] active, int[] from, int[] at, int step, int mask) {
    int vocab = flat.vocab();
    if (listener != null) {
      int total = 0;
      for (SamplingRow r : active) {
        total += r.plan()[step];
      }
      float[] copy = new float[total * vocab];
      int c = 0;
      for (int a = 0; a < active.length; a++) {
        int k = active[a].plan()[step];
        System.arraycopy(flat.values(), flat.offset(0, from[a]), copy, c, k * vocab);
        c += k * vocab;
      }
      listener.onStep(call, copy);
    }
    IntStream range = IntStream.range(0, active.length);
    (active.length == 1 ? range : range.parallel())
        .forEach(
            a -> {
              SamplingRow row = active[a];
              int k = row.plan()[step];
              double[] buffer = new double[vocab];
              for (int j = 0; j < k; j++) {
                int offset = flat.offset(0, from[a] + j);
                int id;
                if (topP >= 1) {
                  id =
                      Categorical.sampleLogits(
                          flat.values(), offset, vocab, mask, row.rng(), buffer);
                } else {
                  MaskedSoftmax.softmax(flat.values(), offset, vocab, mask, buffer);
                  TopP.apply(buffer, 0, vocab, topP);
                  id = Categorical.sample(buffer, 0, vocab, row.rng());
                }
                row.xs()[at[a] + j] = id;
              }
            });
  }
}
