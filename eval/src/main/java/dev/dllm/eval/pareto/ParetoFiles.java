package dev.dllm.eval.pareto;

import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.metrics.ScoredIds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code pareto.json} (every point with its flags, the frontier, the reference entropy and
 * the measurement settings), {@code pareto.csv} (one row per point) and {@code pareto.png} ({@link
 * ParetoChart}) into a folder, each atomically.
 */
public final class ParetoFiles {
  private ParetoFiles() {}

  /** CSV header of {@code pareto.csv}. */
  public static final String CSV_HEADER =
      "family,model,variant,steps,tokens_per_second,gen_ppl,entropy,nfe,collapsed,frontier,"
          + "peak_rss_bytes,series,batch";

  /**
   * Writes the three files.
   *
   * @param points flagged points ({@link ParetoFrontier#flag})
   * @param referenceEntropy the reference text's entropy in nats (NaN when unknown)
   * @param settings measurement settings for the JSON (scorer, samples, batch, threads, ...)
   * @return the PNG path
   */
  public static Path write(
      Path dir, List<ParetoPoint> points, double referenceEntropy, Map<String, Object> settings)
      throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("settings", settings);
    json.put("reference_entropy", Double.isNaN(referenceEntropy) ? null : referenceEntropy);
    json.put("collapse_margin", ParetoFrontier.COLLAPSE_MARGIN);
    json.put("entropy_ids", ScoredIds.DEFINITION);
    json.put("points", points);
    json.put("frontier", points.stream().filter(ParetoPoint::frontier).toList());
    EvalFiles.writeJson(dir.resolve("pareto.json"), json);
    EvalFiles.writeString(dir.resolve("pareto.csv"), csv(points));
    Path png = dir.resolve("pareto.png");
    EvalFiles.writePng(
        png, ParetoChart.create(points, referenceEntropy), ParetoChart.WIDTH, ParetoChart.HEIGHT);
    return png;
  }

  /** The CSV text. */
  public static String csv(List<ParetoPoint> points) {
    StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
    for (ParetoPoint p : points) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%s,%s,%s,%d,%.6g,%.6g,%.6f,%.3f,%b,%b,%d,%s,%d%n",
              cell(p.family()),
              cell(p.model()),
              cell(p.variant()),
              p.steps(),
              p.tokensPerSecond(),
              p.genPpl(),
              p.entropy(),
              p.nfe(),
              p.collapsed(),
              p.frontier(),
              p.peakRssBytes(),
              p.series() == null ? "" : cell(p.series()),
              p.batch()));
    }
    return sb.toString();
  }

  private static String cell(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
