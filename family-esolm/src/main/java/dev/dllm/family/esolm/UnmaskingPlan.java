package dev.dllm.family.esolm;

import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.NoiseSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * How many tokens each Eso-LM sampling step produces (spec §4.4; [SD] algo.py {@code
 * _tokens_unmasked_per_step}): for i = 0 .. T − 1, t = 1 − i/T and s = t − 1/T, k_i ~
 * Binomial(remaining, (alpha_s − alpha_t) / (1 − alpha_t)); steps with k_i = 0 are dropped (no
 * forward). For alpha_0 = 1 the last step has probability 1, so diffusion produces all L tokens;
 * for alpha_0 &lt; 1 about alpha_0·L tokens come from diffusion and the rest are appended as k = 1
 * steps (the sequential phase, left to right). The reference shares one plan across the rows of a
 * batch; {@link EsoLmSampler} draws one per row, over that row's free positions (L − given count),
 * from the row's own stream, so a row's sample does not depend on the rows batched with it.
 *
 * @param steps tokens per step, every entry &gt;= 1, summing to L
 * @param diffusionTokens the number of tokens produced by the diffusion phase (the first steps)
 */
public record UnmaskingPlan(int[] steps, int diffusionTokens) {

  /**
   * Draws a plan; the binomials are sums of Bernoulli draws with float64 uniforms from {@code rng}.
   *
   * @param diffusionSteps T &gt;= 1
   * @param length L
   */
  public static UnmaskingPlan draw(
      NoiseSchedule schedule, int diffusionSteps, int length, Rng rng) {
    if (diffusionSteps < 1) {
      throw new IllegalArgumentException("Eso-LM sampling needs T >= 1, got " + diffusionSteps);
    }
    List<Integer> sizes = new ArrayList<>();
    int remaining = length;
    for (int i = 0; i < diffusionSteps && remaining > 0; i++) {
      double t = (double) (diffusionSteps - i) / diffusionSteps;
      double s = (double) (diffusionSteps - i - 1) / diffusionSteps;
      double alphaT = schedule.alpha(t);
      double p = (schedule.alpha(s) - alphaT) / (1 - alphaT);
      int k;
      if (p >= 1) {
        k = remaining;
      } else {
        k = 0;
        for (int n = 0; n < remaining; n++) {
          if (rng.uniform() < p) {
            k++;
          }
        }
      }
      if (k > 0) {
        sizes.add(k);
        remaining -= k;
      }
    }
    if (remaining > 0 && schedule.alpha(0) == 1) {
      sizes.add(remaining); // [SD]'s safety append: alpha_0 = 1 has no sequential phase
      remaining = 0;
    }
    int diffusion = length - remaining;
    for (int n = 0; n < remaining; n++) {
      sizes.add(1);
    }
    return new UnmaskingPlan(sizes.stream().mapToInt(Integer::intValue).toArray(), diffusion);
  }

  /** NFE of the plan: one forward per non-empty step. */
  public int nfe() {
    return steps.length;
  }
}
