package dev.dllm.trainer;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.train.Distillation;
import dev.dllm.api.train.TrainingObjective;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a family's DJL {@link TrainingObjective} through {@link ServiceLoader}. */
public final class Objectives {
  private Objectives() {}

  /**
   * The objective registered for {@code family} on {@link NDArray}.
   *
   * @throws InvalidInputException listing the families that have one when none matches
   */
  @SuppressWarnings("unchecked")
  public static TrainingObjective<NDArray> forFamily(String family) {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    List<String> seen = new ArrayList<>();
    for (TrainingObjective<?> o :
        ServiceLoader.load(
            TrainingObjective.class, cl != null ? cl : Objectives.class.getClassLoader())) {
      if (o.arrayType() == NDArray.class) {
        seen.add(o.family());
        if (o.family().equals(family)) {
          return (TrainingObjective<NDArray>) o;
        }
      }
    }
    throw new InvalidInputException(
        "no DJL training objective is registered for family '" + family + "'; registered: " + seen);
  }

  /**
   * The distillation objectives of the registered families ({@link
   * TrainingObjective#distillation()}), by family name, sorted: what {@code dllm distill} accepts.
   */
  public static java.util.SortedMap<String, Distillation> distillations() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    java.util.SortedMap<String, Distillation> found = new java.util.TreeMap<>();
    for (TrainingObjective<?> o :
        ServiceLoader.load(
            TrainingObjective.class, cl != null ? cl : Objectives.class.getClassLoader())) {
      if (o.arrayType() == NDArray.class) {
        o.distillation().ifPresent(d -> found.put(o.family(), d));
      }
    }
    return found;
  }

  /**
   * The objective of a run: the one registered for {@code family}, configured with the configured
   * family's keys ({@code exportMetadata()}), the run's training-only options and, with a teacher,
   * its round length ({@code steps_per_round}); unknown {@code --option} keys are refused.
   *
   * @throws InvalidInputException when no objective is registered or an option is unknown
   */
  static TrainingObjective<NDArray> forRun(dev.dllm.api.DiffusionFamily family, FamilyTraining ft) {
    java.util.Map<String, String> options = new java.util.LinkedHashMap<>(family.exportMetadata());
    options.putAll(ft.options());
    if (ft.hasTeacher()) {
      options.put("steps_per_round", Long.toString(ft.teacherRefresh()));
    }
    TrainingObjective<NDArray> objective = forFamily(family.name()).configure(options);
    requireKnownOptions(family, objective, ft.options());
    return objective;
  }

  /**
   * The objective name to use: {@code requested}, or the family's default (the first of {@link
   * TrainingObjective#objectives()}) when null.
   *
   * @throws InvalidInputException when the family does not support {@code requested}
   */
  public static String resolve(TrainingObjective<NDArray> objective, String requested) {
    String name = requested != null ? requested : objective.objectives().iterator().next();
    if (!objective.objectives().contains(name)) {
      throw new InvalidInputException(
          "--objective '"
              + name
              + "' is not supported by family "
              + objective.family()
              + "; expected one of "
              + objective.objectives());
    }
    return name;
  }

  /**
   * Refuses {@code --option} keys that neither the configured family ({@code exportMetadata()}) nor
   * the objective ({@code trainingOptions()}) knows, so a typo is never silently ignored.
   *
   * @throws InvalidInputException naming the key and listing the known ones
   */
  public static void requireKnownOptions(
      dev.dllm.api.DiffusionFamily family,
      TrainingObjective<NDArray> objective,
      java.util.Map<String, String> options) {
    java.util.Set<String> known = new java.util.TreeSet<>(family.exportMetadata().keySet());
    known.remove("family");
    known.addAll(objective.trainingOptions());
    for (String key : options.keySet()) {
      if (!known.contains(key)) {
        throw new InvalidInputException(
            "--option "
                + key
                + ": family "
                + family.name()
                + (known.isEmpty() ? " takes no options" : " knows " + known));
      }
    }
  }
}
