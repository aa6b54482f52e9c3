package dev.dllm.eval.scaling;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One finished training run of a scaling study, read from its {@code train-report.json}.
 *
 * @param family registry name
 * @param objective training objective (e.g. {@code low_var}, {@code elbo}, {@code ce})
 * @param preset model preset
 * @param budget the FLOPs budget C (the run's {@code flops_budget}; its {@code flops} rounded to 3
 *     significant digits when it was given steps)
 * @param nEff N_eff, the parameter count FLOPs are counted with (spec §7.7)
 * @param valLoss validation NLL / NELBO in nats/token
 * @param dir the run folder
 * @param seed the training seed ({@code --seed}); runs that differ only by seed are replicates,
 *     averaged per size by {@link ScalingStudy}
 */
public record RunRecord(
    String family,
    String objective,
    String preset,
    double budget,
    long nEff,
    double valLoss,
    Path dir,
    long seed) {

  /** A run with the default seed 1 (a study without a second seed). */
  public RunRecord(
      String family,
      String objective,
      String preset,
      double budget,
      long nEff,
      double valLoss,
      Path dir) {
    this(family, objective, preset, budget, nEff, valLoss, dir, DEFAULT_SEED);
  }

  /** The trainer's default {@code --seed}, assumed where a run does not record its seed. */
  public static final long DEFAULT_SEED = 1;

  /** The series a run belongs to: {@code family/objective}. */
  public String group() {
    return family + "/" + objective;
  }

  /** Name of the report file of a finished run. */
  public static final String REPORT = "train-report.json";

  /**
   * Every finished run under {@code runs} (folders up to 3 levels deep holding {@link #REPORT}
   * whose checkpoint reached its planned steps), sorted by group, budget and N.
   *
   * @throws InvalidInputException when {@code runs} is not a folder or a report lacks a field
   */
  public static List<RunRecord> scan(Path runs) {
    if (!Files.isDirectory(runs)) {
      throw new InvalidInputException("--runs " + runs + " is not a folder");
    }
    List<RunRecord> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(runs, 4)) {
      for (Path f : files.filter(p -> p.getFileName().toString().equals(REPORT)).toList()) {
        if (finished(f.getParent())) {
          out.add(read(f));
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException("cannot list --runs " + runs + ": " + e.getMessage());
    }
    out.sort(
        Comparator.comparing(RunRecord::group)
            .thenComparingDouble(RunRecord::budget)
            .thenComparingLong(RunRecord::nEff)
            .thenComparingLong(RunRecord::seed));
    return out;
  }

  /**
   * Whether the run in {@code dir} reached its planned steps: its {@code checkpoint/config.json}
   * records step == total_steps (a run stopped early with {@code --stop-after} also has a report).
   * A folder without a checkpoint config counts as finished (a report copied on its own).
   */
  static boolean finished(Path dir) {
    Path ck = dir.resolve("checkpoint").resolve("config.json");
    if (!Files.isRegularFile(ck)) {
      return true;
    }
    try {
      JsonNode t = EvalFiles.JSON.readTree(ck.toFile()).path("training");
      return t.path("step").asLong(-1) == t.path("total_steps").asLong(-2);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Reads one report.
   *
   * @throws InvalidInputException naming the file and the missing or bad field
   */
  public static RunRecord read(Path report) {
    JsonNode n;
    try {
      n = EvalFiles.JSON.readTree(report.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(report + " is not valid JSON: " + e.getMessage());
    }
    String family = text(n, "family", report);
    String objective = text(n, "objective", report);
    String preset = n.path("preset").asText("");
    double budget =
        n.hasNonNull("flops_budget")
            ? n.get("flops_budget").asDouble()
            : round3(number(n, "flops", report));
    long nEff = (long) number(n, "n_eff", report);
    double loss = number(n, "val_nll", report);
    long seed =
        n.path("seed").isIntegralNumber() ? n.get("seed").asLong() : storedSeed(report.getParent());
    return new RunRecord(family, objective, preset, budget, nEff, loss, report.getParent(), seed);
  }

  /**
   * The seed stored with the run's checkpoint ({@code checkpoint/config.json}, {@code
   * training.run_config.seed}), or {@link #DEFAULT_SEED} when it has none.
   */
  static long storedSeed(Path dir) {
    Path ck = dir.resolve("checkpoint").resolve("config.json");
    if (!Files.isRegularFile(ck)) {
      return DEFAULT_SEED;
    }
    try {
      JsonNode s = EvalFiles.JSON.readTree(ck.toFile()).path("training").path("run_config");
      return s.path("seed").isIntegralNumber() ? s.get("seed").asLong() : DEFAULT_SEED;
    } catch (IOException e) {
      return DEFAULT_SEED;
    }
  }

  private static String text(JsonNode n, String field, Path file) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new InvalidInputException(file + ": field '" + field + "' is missing (expected text)");
    }
    return v.asText();
  }

  private static double number(JsonNode n, String field, Path file) {
    JsonNode v = n.get(field);
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new InvalidInputException(
          file + ": field '" + field + "' is missing or not a finite number");
    }
    return v.asDouble();
  }

  static double round3(double x) {
    if (x == 0 || !Double.isFinite(x)) {
      return x;
    }
    double scale = Math.pow(10, Math.floor(Math.log10(Math.abs(x))) - 2);
    return Math.round(x / scale) * scale;
  }
}
