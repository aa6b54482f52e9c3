package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.eval.EvalFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's evaluation stage: {@code dllm pareto} ({@link dev.dllm.eval.run.ParetoRun}) over the
 * four exports into the demo folder, then one table joining every Pareto point with its run's
 * validation loss, written as {@value #REPORT}.
 *
 * <p>Points: AR its one setting (L − 1 steps with the KV cache); MDLM; Duo with and without the
 * greedy tail; Eso-LM with its KV cache; every diffusion family at each {@code --eval-steps} T.
 * Each point draws {@code --eval-samples} samples of L tokens ({@code batch} = min(samples, 8) rows
 * per sampler call, the demo's threads), scored by the gen-PPL scorer (corpus level).
 *
 * <p>The stage counts as finished when {@code pareto.png} and {@code pareto.json} exist and {@code
 * pareto.json} is not older than any of the exports it measured (a resumed demo that re-exported a
 * model measures again).
 */
final class DemoEval {
  /** The demo's summary: the table's rows and the measurement settings. */
  static final String REPORT = "demo-report.json";

  /** The most rows per sampler call. */
  static final int MAX_BATCH = 8;

  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoEval() {}

  /** Whether the pareto files in {@code dir} are complete and newer than every export. */
  static boolean finished(Path dir, List<Path> exports) throws IOException {
    Path json = dir.resolve("pareto.json");
    if (!Files.isRegularFile(json) || !Files.isRegularFile(dir.resolve("pareto.png"))) {
      return false;
    }
    long measured = Files.getLastModifiedTime(json).toMillis();
    for (Path e : exports) {
      Path rep = e.resolve("export-report.json");
      if (!Files.isRegularFile(rep) || Files.getLastModifiedTime(rep).toMillis() > measured) {
        return false;
      }
    }
    return true;
  }

  /**
   * The {@code dllm pareto} command line of the stage; a resumed demo adds {@code --overwrite}: the
   * pareto files it finds are its own, stale or left incomplete by an interruption.
   */
  static String[] paretoArgs(Path dir, DemoOptions o, List<Path> exports, boolean resume) {
    int n = Integer.parseInt(o.get("eval-samples"));
    List<String> args =
        new ArrayList<>(
            List.of(
                "pareto",
                "--models",
                String.join(",", exports.stream().map(Path::toString).toList()),
                "--steps",
                o.get("eval-steps"),
                "--scorer",
                o.get("scorer"),
                "--num-samples",
                Integer.toString(n),
                "--batch",
                Integer.toString(Math.min(n, MAX_BATCH)),
                "--seed",
                "0",
                "--threads",
                o.get("threads"),
                "--variant",
                "duo:no_greedy_tail:greedy_tail=false",
                "--variant",
                "duo:greedy_tail:greedy_tail=true",
                "--variant",
                "esolm:kv_cache:kv_cache=true",
                "--out",
                dir.toString()));
    if (resume) {
      args.add("--overwrite");
    }
    return args.toArray(String[]::new);
  }

  /**
   * Prints the table of {@code dir/pareto.json} joined with each run's {@code train-report.json}
   * and writes {@value #REPORT}.
   *
   * @param runs (family, objective) of every run; its folder is {@code dir/<family>-<objective>}
   */
  static void table(Path dir, String[][] runs, DemoOptions o, PrintStream out) throws IOException {
    JsonNode pareto = JSON.readTree(dir.resolve("pareto.json").toFile());
    JsonNode settings = pareto.path("settings");
    List<Map<String, Object>> rows = new ArrayList<>();
    out.println();
    out.printf(
        Locale.ROOT,
        "   %-6s %-8s %-15s %9s %5s %7s %9s %8s %10s  %s%n",
        "family",
        "objective",
        "sampler",
        "val loss",
        "T",
        "NFE",
        "gen PPL",
        "entropy",
        "tokens/s",
        "collapsed");
    for (JsonNode p : pareto.path("points")) {
      String[] run = runOf(dir, runs, p.path("model").asText());
      JsonNode train =
          run == null
              ? JSON.createObjectNode()
              : JSON.readTree(
                  dir.resolve(run[0] + "-" + run[1]).resolve("train-report.json").toFile());
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("family", p.path("family").asText());
      row.put("objective", run == null ? null : run[1]);
      row.put("sampler", p.path("variant").asText());
      row.put(
          "val_loss", train.path("val_nll").isNumber() ? train.path("val_nll").asDouble() : null);
      row.put("val_loss_kind", valLossKind(p.path("family").asText()));
      row.put("steps", p.path("steps").asInt());
      row.put("nfe", p.path("nfe").asDouble());
      row.put("gen_ppl", p.path("gen_ppl").asDouble());
      row.put("entropy", p.path("entropy").asDouble());
      row.put("tokens_per_second", p.path("tokens_per_second").asDouble());
      row.put("collapsed", p.path("collapsed").asBoolean());
      row.put("frontier", p.path("frontier").asBoolean());
      rows.add(row);
      out.printf(
          Locale.ROOT,
          "   %-6s %-8s %-15s %9s %5d %7.1f %9.2f %8.3f %10.1f  %s%n",
          row.get("family"),
          run == null ? "?" : run[1],
          row.get("sampler"),
          row.get("val_loss") == null
              ? "-"
              : String.format(Locale.ROOT, "%.4f", (Double) row.get("val_loss")),
          row.get("steps"),
          row.get("nfe"),
          row.get("gen_ppl"),
          row.get("entropy"),
          row.get("tokens_per_second"),
          p.path("collapsed").asBoolean() ? "yes" : "no");
    }
    out.printf(
        Locale.ROOT,
        "   (val loss: AR exact NLL, the others NELBO upper bounds, nats/token; gen PPL under the"
            + " scorer %s, corpus level over %d samples of L tokens per point; tokens/s: batch %d,"
            + " %s threads, ONNX Runtime %s; collapsed: entropy below the reference text's %.3f"
            + " nats minus %.1f)%n",
        settings.path("scorer").path("dir").asText("?"),
        settings.path("num_samples").asInt(),
        settings.path("batch").asInt(),
        settings.path("threads").asText(),
        settings.path("provider").asText("cpu"),
        pareto.path("reference_entropy").asDouble(Double.NaN),
        pareto.path("collapse_margin").asDouble(Double.NaN));
    out.println(unitLine(settings));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("options", o.values());
    report.put("rows", rows);
    report.put("settings", settings);
    report.put("reference_entropy", pareto.path("reference_entropy"));
    report.put("pareto", List.of("pareto.json", "pareto.csv", "pareto.png"));
    EvalFiles.writeJson(dir.resolve(REPORT), report);
    out.println(
        "   -> " + dir.resolve("pareto.png") + " (and pareto.json, pareto.csv, " + REPORT + ")");
  }

  /**
   * The gen-PPL unit line under the table, from {@code settings.gen_ppl_unit_per_model} of {@code
   * pareto.json} ({@link dev.dllm.eval.metrics.GenPplUnit}): one unit when every model shares it,
   * else one per model; models whose samples were re-tokenised are named NOT comparable to their
   * own tokens, with the characters the scorer dropped.
   */
  static String unitLine(JsonNode settings) {
    Map<String, List<String>> byUnit = new LinkedHashMap<>();
    settings
        .path("gen_ppl_unit_per_model")
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode u = e.getValue();
              long dropped = 0;
              for (JsonNode d : u.path("dropped_characters_per_point")) {
                dropped += d.asLong();
              }
              String text =
                  u.path("unit").asText("?")
                      + (u.path("comparable_to_model_tokens").asBoolean(true)
                          ? ""
                          : "; NOT comparable to the model's tokens (samples re-tokenised); "
                              + dev.dllm.eval.metrics.GenPplUnit.dropped(dropped)
                              + " over all points");
              byUnit.computeIfAbsent(text, k -> new ArrayList<>()).add(e.getKey());
            });
    if (byUnit.isEmpty()) {
      return "   gen PPL unit: not recorded";
    }
    if (byUnit.size() == 1) {
      return "   gen PPL " + byUnit.keySet().iterator().next();
    }
    StringBuilder sb = new StringBuilder("   gen PPL units differ between models:");
    byUnit.forEach(
        (unit, models) ->
            sb.append(System.lineSeparator())
                .append("     ")
                .append(unit)
                .append(": ")
                .append(String.join(", ", models)));
    return sb.toString();
  }

  private static String[] runOf(Path dir, String[][] runs, String model) {
    Path m = Path.of(model).toAbsolutePath().normalize();
    for (String[] run : runs) {
      Path onnx = dir.resolve(run[0] + "-" + run[1]).resolve("onnx").toAbsolutePath().normalize();
      if (onnx.equals(m)) {
        return run;
      }
    }
    return null;
  }

  /**
   * {@code NLL} for a family without a noise schedule (AR: no latent, its bound is the exact
   * negative log-likelihood), {@code NELBO} for the others and for a family not registered here.
   */
  static String valLossKind(String family) {
    FamilyRegistry registry = FamilyRegistry.load();
    return registry.names().contains(family) && registry.get(family).schedule() == null
        ? "NLL"
        : "NELBO";
  }
}
