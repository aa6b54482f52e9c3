package dev.dllm.api.train;

import java.util.Objects;

/**
 * A distillation objective a family offers for {@code dllm distill}: the student starts from a
 * trained checkpoint of the family, a frozen teacher is refreshed from the student every K steps
 * (one round), and the step the student learns to take doubles each round, dt = 2^round / T on a
 * grid of T steps. Duo's Discrete Consistency Distillation (spec §9.1, [DUO] algo.py {@code
 * Distillation}) is one; a family declares its own through {@link
 * TrainingObjective#distillation()}, so the command line names no family.
 *
 * @param objective the objective name passed to {@link TrainingObjective#loss} (one of its {@link
 *     TrainingObjective#objectives()}), e.g. {@code dcd}
 * @param gridOption the family option key that holds T, e.g. {@code dcd_steps} (one of the
 *     objective's {@link TrainingObjective#trainingOptions()}); {@code dllm distill --grid T} sets
 *     it
 * @param defaultGrid T when {@code --grid} is not given, {@code >= 1} (Duo: 512,
 *     scripts/distil_owt.sh)
 * @param title a few words for messages and help, e.g. {@code Discrete Consistency Distillation}
 */
public record Distillation(String objective, String gridOption, int defaultGrid, String title) {
  /**
   * @throws NullPointerException when a name is null
   * @throws IllegalArgumentException when {@code defaultGrid < 1}
   */
  public Distillation {
    Objects.requireNonNull(objective, "objective");
    Objects.requireNonNull(gridOption, "gridOption");
    Objects.requireNonNull(title, "title");
    if (defaultGrid < 1) {
      throw new IllegalArgumentException("defaultGrid must be >= 1, got " + defaultGrid);
    }
  }
}
