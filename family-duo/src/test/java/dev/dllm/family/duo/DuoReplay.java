package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.LogLinearSchedule;

/**
 * A sequential replay of the spec's Duo sampling loop with the exact per-position {@link
 * DuoSampler#draw} (or {@link DuoSampler#argmax} for a greedy tail), shared by {@link
 * DuoSamplerTest} and {@link DuoConditionalSamplerTest}.
 */
final class DuoReplay {
  private DuoReplay() {}

  /**
   * Replays {@code steps} steps (then the noise removal) on the logits {@code net} recorded,
   * starting from the prior {@code x} (updated in place), drawing from each row's own stream. At
   * every step the net's recorded input must equal the replayed state. Positions given in {@code
   * given} (nullable: nothing given) are skipped, so they keep their ids.
   */
  static void replay(
      TestNets.Recording net,
      int[] x,
      Rng[] rows,
      int steps,
      String removal,
      int length,
      Conditioning given,
      int vocab,
      int mask) {
    LogLinearSchedule sched = new LogLinearSchedule();
    double dt = (1 - DuoSampler.T_MIN) / steps;
    for (int i = 0; i <= steps; i++) {
      boolean last = i == steps;
      double t = last ? DuoSampler.T_MIN : 1 - i * dt;
      double alphaT = sched.alpha(t);
      double alphaS = last ? 1 : sched.alpha(i == steps - 1 ? DuoSampler.T_MIN : t - dt);
      assertArrayEquals(x, net.inputs.get(i).ids(), removal + " step " + i);
      Logits logits = net.outputs.get(i);
      for (int j = 0; j < x.length; j++) {
        int b = j / length;
        int l = j % length;
        if (given != null && given.isGiven(b, l)) {
          continue;
        }
        x[j] =
            last && removal.equals("greedy")
                ? DuoSampler.argmax(logits, b, l, mask)
                : DuoSampler.draw(
                    logits.values(),
                    logits.offset(b, l),
                    vocab,
                    x[j],
                    mask,
                    alphaT,
                    alphaS,
                    1.0,
                    rows[b],
                    new double[vocab]);
      }
    }
  }
}
