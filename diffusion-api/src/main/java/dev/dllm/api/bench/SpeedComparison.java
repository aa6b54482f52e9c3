package dev.dllm.api.bench;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A named sampling-speed comparison a family contributes to {@code dllm bench-sample --sections
 * <name>}: sampler variants on one or more models, timed side by side at each number of steps T
 * with tokens/s, mean sample entropy, NFE, the {@link #ratios()} and the step-split probe of every
 * variant whose family has one ({@link dev.dllm.api.DiffusionFamily#stepSplit()}). Pure data: the
 * CLI's family-agnostic comparison runs it, so a family adds its benchmark without editing the CLI.
 * Found through {@link java.util.ServiceLoader} ({@code
 * META-INF/services/dev.dllm.api.bench.SpeedComparison}).
 *
 * <p>Models come either from exports given on the command line ({@code --<role>-model DIR}, each
 * refused unless it is an export of {@link Model#family()}), timed at each T of {@code
 * --<name>-steps} and L = {@code --length}; or, with {@link #randomWeights()}, from random DiTs of
 * each model's family at {@code --preset}, exported at each L of {@code --lengths} and timed at T =
 * L (speed depends on the shapes and network calls, not on the weights).
 */
public interface SpeedComparison {

  /** The section name, lower-case letters, digits and '-' (e.g. {@code duo}). */
  String name();

  /** The family that contributes it ({@link dev.dllm.api.DiffusionFamily#name()}), for the help. */
  String family();

  /** The table's title, e.g. {@code Duo vs MDLM}. */
  String title();

  /** The models, in the order the report lists them. */
  List<Model> models();

  /** The timed variants, in column order; labels are the report's keys. */
  List<Variant> variants();

  /** Speed ratios reported per row (tokens/s of one variant over another's). */
  default List<Ratio> ratios() {
    return List.of();
  }

  /** Constant entries copied into the report (e.g. the paper's claim), in order. */
  default Map<String, String> notes() {
    return Map.of();
  }

  /**
   * The report's key of the row list: {@code rows}, or the key a report of this section had before
   * the comparison was shared (Eso-LM's {@code esolm}), so that its readers keep working.
   */
  default String rowsKey() {
    return "rows";
  }

  /** Random weights at {@code --lengths} and T = L instead of exports (see the class comment). */
  default boolean randomWeights() {
    return false;
  }

  /** T values when {@code --<name>-steps} is absent (exports only). */
  default List<Integer> defaultSteps() {
    return List.of(8, 32, 128);
  }

  /**
   * L when {@code --length} is absent and no export records its training length (exports only;
   * otherwise the shortest recorded training length of the exports is used).
   */
  default int defaultLength() {
    return 256;
  }

  /** Lengths when {@code --lengths} is absent (random weights only; T = L). */
  default List<Integer> defaultLengths() {
    return List.of(256, 1024);
  }

  /** Timed runs per variant and T when {@code --runs} is absent. */
  default int defaultRuns() {
    return 3;
  }

  /** Whether each model gets one untimed run at the smallest T first (JIT, ORT arenas). */
  default boolean warmUp() {
    return true;
  }

  /**
   * A model of the comparison.
   *
   * @param role the report's key prefix and, for exports, the option {@code --<role>-model}
   * @param family the family the export must have (or the random DiT is built for); empty for any
   *     family (exports only)
   * @param help a few words for the option's help, e.g. {@code Duo export}
   */
  record Model(String role, String family, String help) {
    public Model {
      Objects.requireNonNull(family, "family");
      Objects.requireNonNull(help, "help");
      if (!Objects.requireNonNull(role, "role").matches("[a-z][a-z0-9]*")) {
        throw new IllegalArgumentException("role must be lower-case letters and digits: " + role);
      }
    }
  }

  /**
   * A sampler setting on one model.
   *
   * @param label the report's key, e.g. {@code duo_greedy_tail}
   * @param title the column title, e.g. {@code Duo greedy tail}
   * @param model the {@link Model#role()} it samples
   * @param options sampler options ({@link dev.dllm.api.sample.SamplerSpec#options()})
   */
  record Variant(String label, String title, String model, Map<String, String> options) {
    public Variant {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(model, "model");
      options = Map.copyOf(options);
    }
  }

  /**
   * A reported speed ratio: tokens/s of {@code faster} over tokens/s of {@code slower} (on the same
   * B, L and T, the ratio of the wall times the other way round).
   *
   * @param key the report's key, e.g. {@code speedup_vs_mdlm}
   * @param faster a variant label
   * @param slower a variant label
   */
  record Ratio(String key, String faster, String slower) {
    public Ratio {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(faster, "faster");
      Objects.requireNonNull(slower, "slower");
    }
  }
}
