package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.EvalFiles;
import dev.dllm.trainer.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The sweep's {@code runs.csv}: one row per planned run with its status, then the other finished
 * run folders under the sweep folder; columns named by {@link #CSV_HEADER}, the seed last.
 */
final class SweepCsv {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SweepCsv() {}

  static final String CSV_HEADER =
      "family,objective,preset,flops_budget,status,n_eff,steps,tokens,flops,val_nll,val_ppl,seconds,dir,seed";

  /**
   * Rewrites {@code runs.csv}: a row per run of the plan with its status, then a row per other
   * finished run folder under the sweep folder (an earlier, larger grid's), found by its {@code
   * train-report.json} as {@code dllm fit} finds them, so that a smaller grid rerun into the same
   * folder never drops rows.
   */
  static void write(Sweep.Plan plan, List<String> status) throws IOException {
    StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
    Set<Path> planned = new HashSet<>();
    for (int i = 0; i < plan.runs().size(); i++) {
      Sweep.Run r = plan.runs().get(i);
      Path dir = r.dir(plan.out());
      planned.add(dir.toAbsolutePath().normalize());
      String st =
          status.get(i) != null ? status.get(i) : Sweep.state(dir).name().toLowerCase(Locale.ROOT);
      Path report = dir.resolve("train-report.json");
      JsonNode n =
          st.equals("finished") && Files.isRegularFile(report)
              ? JSON.readTree(report.toFile())
              : null;
      sb.append(
          row(r.family(), r.objective(), r.preset(), r.flops(), st, n, dir, seed(plan, r, dir)));
    }
    for (Path dir : earlierRuns(plan.out(), planned)) {
      JsonNode n = JSON.readTree(dir.resolve("train-report.json").toFile());
      String preset = n.path("preset").asText(dir.getParent().getFileName().toString());
      double budget = n.path("flops_budget").asDouble(n.path("flops").asDouble());
      sb.append(
          row(n.path("family").asText(), null, preset, budget, "finished", n, dir, seed(dir)));
    }
    EvalFiles.writeString(plan.out().resolve("runs.csv"), sb.toString());
  }

  /** Finished run folders under {@code out} not in {@code planned}, in path order. */
  private static List<Path> earlierRuns(Path out, Set<Path> planned) throws IOException {
    if (!Files.isDirectory(out)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(out, 4)) {
      return files
          .filter(f -> f.getFileName().toString().equals("train-report.json"))
          .map(Path::getParent)
          .filter(d -> !planned.contains(d.toAbsolutePath().normalize()))
          .filter(d -> Sweep.state(d) == Sweep.State.FINISHED)
          .sorted()
          .toList();
    }
  }

  /**
   * The seed a run was trained with: the one stored with its checkpoint, else the plan's {@code
   * --seed} (a run not trained yet).
   */
  private static String seed(Sweep.Plan plan, Sweep.Run r, Path dir) {
    String stored = seed(dir);
    if (!stored.isEmpty()) {
      return stored;
    }
    try {
      return Long.toString(Sweep.configure(plan, r, dir).build().seed());
    } catch (RuntimeException e) {
      return ""; // options the trainer refuses: the row's status says why
    }
  }

  /** The seed stored with the checkpoint in {@code dir}, or "" when it has none. */
  private static String seed(Path dir) {
    try {
      TrainConfig stored = dev.dllm.trainer.StoredRunConfig.read(dir);
      return stored == null ? "" : Long.toString(stored.seed());
    } catch (RuntimeException e) {
      return "";
    }
  }

  /**
   * One CSV row; {@code report} (a finished run's train-report.json) fills the numbers; {@code
   * seed} is the last column (runs that differ only by seed are replicates for {@code dllm fit}).
   */
  private static String row(
      String family,
      String objective,
      String preset,
      double budget,
      String status,
      JsonNode report,
      Path dir,
      String seed) {
    String nums = ",,,,,,";
    String obj = objective == null ? "" : objective;
    if (report != null) {
      obj = report.path("objective").asText(obj);
      nums =
          String.format(
              Locale.ROOT,
              "%d,%d,%d,%.6g,%s,%.6f,%.3f",
              report.path("n_eff").asLong(),
              report.path("steps").asLong(),
              report.path("tokens").asLong(),
              report.path("flops").asDouble(),
              // every digit: dllm fit reads runs.csv and must find the same optima as the reports
              Double.toString(report.path("val_nll").asDouble()),
              report.path("val_ppl").asDouble(),
              report.path("seconds").asDouble());
    }
    return String.format(
        Locale.ROOT,
        "%s,%s,%s,%.6g,%s,%s,%s,%s%n",
        family,
        obj,
        preset,
        budget,
        csvCell(status),
        nums,
        csvCell(dir.toString()),
        seed);
  }

  private static String csvCell(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replace("\"", "\"\"").replace("\n", " ") + "\""
        : s;
  }
}
