package dev.dllm.api.sample;

import java.util.Objects;

/**
 * How a family names the update phase its sampler reports to a {@link StepListener}, and the share
 * of a step that phase should stay under: the step-split probe that {@code dllm bench-sample}
 * prints for every variant of the family (Duo: the float64 posterior and its categorical draw,
 * under 10% of the step, issue 8). Declared through {@link
 * dev.dllm.api.DiffusionFamily#stepSplit()}; only samplers with {@link Sampler#reportsSteps()} are
 * probed.
 *
 * @param label the family as printed, e.g. {@code Duo}
 * @param part the update phase, one lower-case word used in the report keys ({@code
 *     <part>_share_max}, {@code <part>_bar}, {@code <part>_under_bar}), e.g. {@code posterior}
 * @param bar the share of a step the phase should stay under, in (0, 1], or NaN for none
 */
public record StepSplit(String label, String part, double bar) {
  /**
   * @throws NullPointerException when a name is null
   * @throws IllegalArgumentException when {@code part} is not one lower-case word or {@code bar} is
   *     outside (0, 1]
   */
  public StepSplit {
    Objects.requireNonNull(label, "label");
    if (!Objects.requireNonNull(part, "part").matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("part must be one lower-case word, got '" + part + "'");
    }
    if (!Double.isNaN(bar) && !(bar > 0 && bar <= 1)) {
      throw new IllegalArgumentException("bar must be in (0, 1] or NaN, got " + bar);
    }
  }

  /** Whether the probe has a bar to compare the share with. */
  public boolean hasBar() {
    return !Double.isNaN(bar);
  }
}
