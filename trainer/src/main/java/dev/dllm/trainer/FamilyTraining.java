package dev.dllm.trainer;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Family-specific parts of a training run: options handed to the family's objective ({@code
 * --option key=value}, e.g. Duo's curriculum band), a checkpoint to start the weights from ({@code
 * --init-from}, used by distillation: a fresh optimizer on a trained model) and a frozen teacher
 * refreshed from the student every {@code teacherRefresh} steps (Discrete Consistency Distillation
 * rounds, spec §9.1).
 *
 * @param options objective options (sorted; empty for none)
 * @param initFrom checkpoint directory whose weights (and tokenizer) the run starts from, or null
 * @param teacherRefresh steps per teacher round; 0 = no teacher
 */
public record FamilyTraining(Map<String, String> options, Path initFrom, long teacherRefresh) {
  /** No options, fresh initialisation, no teacher. */
  public static final FamilyTraining NONE = new FamilyTraining(Map.of(), null, 0);

  /** Copies the options into a sorted, unmodifiable map. */
  public FamilyTraining {
    options = java.util.Collections.unmodifiableMap(new TreeMap<>(options));
    if (teacherRefresh < 0) {
      throw new dev.dllm.api.InvalidInputException(
          "--steps-per-round must be >= 1, got " + teacherRefresh);
    }
  }

  /** Whether the run keeps a frozen teacher. */
  public boolean hasTeacher() {
    return teacherRefresh > 0;
  }
}
