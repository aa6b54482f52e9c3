package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.scaling.Rq4Table;
import dev.dllm.eval.scaling.RunRecord;
import dev.dllm.eval.scaling.RunsCsv;
import dev.dllm.eval.scaling.ScalingCharts;
import dev.dllm.eval.scaling.ScalingStudy;
import dev.dllm.eval.scaling.SizeStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dllm fit} as a Java API: reads every finished run under a folder (or the rows of a sweep's
 * {@code runs.csv}), fits the IsoFLOP parabolas and the scaling laws ({@link ScalingStudy}),
 * compares the {@code low_var} and {@code elbo} objectives of a family where both were run (FLOPs
 * ratio at the loss the ELBO series reaches at its largest budget), and writes {@code
 * fit-report.json}, {@code isoflop.png}, {@code scaling.png} and the RQ4 table {@code rq4-table.md}
 * ({@link Rq4Table}; also {@code rq4_table} in the report) into the same folder. Runs that differ
 * only by seed are replicates: each size enters its budget's parabola at its mean loss, and {@code
 * seed_noise} in the report gives, per series and budget with ≥ 2 seeds of a size, the sample std
 * ({@link SizeStats#seedNoise}). A series with fewer than two budgets with an interior optimum (for
 * example two model sizes per budget: no parabola) gets no law: the console and {@code
 * scaling_notes} in the report say so, and {@code scaling.png} shows its best run per budget.
 */
public final class FitRun {
  private FitRun() {}

  /** The analysis, the RQ4 table, the JSON written and a readable summary. */
  public record Result(
      List<ScalingStudy.Series> series, Rq4Table table, Map<String, Object> json, String text) {}

  /** Name of the RQ4 table written next to the plots. */
  public static final String RQ4_TABLE = "rq4-table.md";

  /**
   * {@link #run(List, Path, String)} on one input with the default reference series.
   *
   * @throws InvalidInputException when no finished run is found
   */
  public static Result run(Path runs, Path out) throws IOException {
    return run(List.of(runs), out, null);
  }

  /**
   * Runs the analysis on the runs of every input (a folder of runs, or a {@code runs.csv} file;
   * several are pooled, e.g. a second seed's sweep next to the first) and writes into {@code out}.
   *
   * @param reference {@code family/objective} of the RQ4 table's reference series, or null for
   *     {@link Rq4Table#DEFAULT_REFERENCE}
   * @throws InvalidInputException when no finished run is found, when two inputs hold the same run
   *     (size, budget, seed) with different losses, or when {@code reference} names no series with
   *     an L_opt law
   */
  public static Result run(List<Path> runs, Path out, String reference) throws IOException {
    List<RunRecord> records = new ArrayList<>();
    for (Path p : runs) {
      records.addAll(records(p));
    }
    List<ScalingStudy.Series> series = ScalingStudy.analyze(records);
    Rq4Table table = Rq4Table.of(series, reference);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("runs", records.size());
    json.put("series", ScalingStudy.toJson(series));
    StringBuilder text = new StringBuilder();
    Map<String, String> lawNotes = new LinkedHashMap<>();
    for (ScalingStudy.Series s : series) {
      text.append(String.format(Locale.ROOT, "%s:%n", s.group()));
      for (ScalingStudy.Budget b : s.budgets()) {
        text.append(
            String.format(
                Locale.ROOT,
                "  C=%.2e  %d runs  N_opt=%s  L_opt=%s%s%n",
                b.budget(),
                b.runs().size(),
                fmt(b.nOpt(), "%.3g"),
                fmt(b.lOpt(), "%.4f"),
                b.note() == null ? "" : "  (" + b.note() + ")"));
        for (SizeStats z : b.sizes()) {
          if (z.n() >= 2) {
            text.append(
                String.format(
                    Locale.ROOT,
                    "    %s: %d seeds, mean %.4f, std %.4f nats/token%n",
                    z.preset(),
                    z.n(),
                    z.mean(),
                    z.std()));
          }
        }
      }
      if (s.nOptLaw() != null) {
        text.append(
            String.format(
                Locale.ROOT,
                "  N_opt = %.3g * C^%.3f  (95%% CI of a: %s..%s, R^2 %.3f)%n",
                s.nOptLaw().k(),
                s.nOptLaw().a(),
                fmt(s.nOptLaw().aLow(), "%.3f"),
                fmt(s.nOptLaw().aHigh(), "%.3f"),
                s.nOptLaw().r2()));
      }
      if (s.lOptLaw() != null) {
        var l = s.lOptLaw();
        text.append(
            String.format(
                Locale.ROOT,
                "  L_opt = %.4f + %.4g * C^-%.4f  (95%% CI E %s..%s, b %s..%s; R^2 %.3f)%n",
                l.e(),
                l.a(),
                l.b(),
                fmt(l.eCi()[0], "%.4f"),
                fmt(l.eCi()[1], "%.4f"),
                fmt(l.bCi()[0], "%.4f"),
                fmt(l.bCi()[1], "%.4f"),
                l.r2()));
        if (l.eAtBound()) {
          text.append(
              "  E at its bound 0: no loss floor visible at these budgets (intervals undefined)\n");
        }
      } else if (s.lOptPowerLaw() != null) {
        text.append(
            String.format(
                Locale.ROOT,
                "  L_opt = %.4g * C^%.4f (pure power law)%n",
                s.lOptPowerLaw().k(),
                s.lOptPowerLaw().a()));
      }
      if (s.note() != null) {
        text.append("  note: ").append(s.note()).append('\n');
      }
      if (s.lawNote() != null) {
        text.append("  ").append(s.lawNote()).append('\n');
        lawNotes.put(s.group(), s.lawNote());
      }
    }
    if (!lawNotes.isEmpty()) {
      text.append(
          "scaling.png: measured optima only where a budget has one; hollow markers: the best"
              + " run tried at a budget without one (an upper bound on L_opt), no line\n");
    }
    json.put("scaling_notes", lawNotes);
    Map<String, Object> comparisons = new LinkedHashMap<>();
    for (ScalingStudy.Series lv : series) {
      if (!lv.group().endsWith("/low_var")) {
        continue;
      }
      String fam = lv.family();
      for (ScalingStudy.Series el : series) {
        if (el.family().equals(fam) && el.group().endsWith("/elbo")) {
          // the largest budget where ELBO has a measured optimum: no extrapolation of its law
          double cMax =
              el.budgets().stream()
                  .filter(ScalingStudy.Budget::usable)
                  .mapToDouble(ScalingStudy.Budget::budget)
                  .max()
                  .orElse(Double.NaN);
          double target = el.lossAt(cMax);
          double ratio = ScalingStudy.flopsRatio(lv, el, target);
          Map<String, Object> c = new LinkedHashMap<>();
          c.put("target_loss", finite(target));
          c.put("flops_low_var", finite(lv.flopsFor(target)));
          c.put("flops_elbo", finite(el.flopsFor(target)));
          c.put("ratio_low_var_over_elbo", finite(ratio));
          c.put("saving", finite(1 - ratio));
          c.put("per_budget", perBudget(lv, el, text));
          comparisons.put(fam + ": low_var vs elbo", c);
          text.append(
              String.format(
                  Locale.ROOT,
                  "%s low_var needs %s x the FLOPs of elbo to reach %.4f nats/token (saving %s)%n",
                  fam,
                  fmt(ratio, "%.3f"),
                  target,
                  fmt(1 - ratio, "%.1f%%", 100)));
        }
      }
    }
    json.put("comparisons", comparisons);
    Map<String, Object> noise = SizeStats.seedNoise(series);
    json.put("seed_noise", noise);
    for (Map.Entry<String, Object> e : noise.entrySet()) {
      for (Object o : (List<?>) e.getValue()) {
        Map<?, ?> b = (Map<?, ?>) o;
        text.append(
            String.format(
                Locale.ROOT,
                "%s seed noise at C=%.2e: pooled std %.4f nats/token (%s degrees of freedom)%n",
                e.getKey(),
                (Double) b.get("flops"),
                (Double) b.get("pooled_std"),
                b.get("dof")));
      }
    }
    json.put("rq4_table", table.toJson());
    text.append('\n').append(table.markdown());
    Path iso = out.resolve("isoflop.png");
    Path sc = out.resolve("scaling.png");
    EvalFiles.writePng(
        iso, ScalingCharts.isoflop(series), ScalingCharts.WIDTH, ScalingCharts.HEIGHT);
    EvalFiles.writePng(
        sc, ScalingCharts.scaling(series), ScalingCharts.WIDTH, ScalingCharts.HEIGHT);
    json.put("isoflop_png", iso.toString());
    json.put("scaling_png", sc.toString());
    json.put("rq4_table_md", out.resolve(RQ4_TABLE).toString());
    EvalFiles.writeString(out.resolve(RQ4_TABLE), table.markdown());
    EvalFiles.writeJson(out.resolve("fit-report.json"), json);
    return new Result(series, table, json, text.toString());
  }

  /**
   * The finished runs of {@code runs}: a {@code runs.csv} file is read as a table ({@link
   * RunsCsv}); a folder by its runs' {@code train-report.json} ({@link RunRecord#scan}), or by its
   * {@code runs.csv} when it holds no report (a committed study without its run folders).
   *
   * @throws InvalidInputException when neither holds a finished run
   */
  public static List<RunRecord> records(Path runs) {
    if (Files.isRegularFile(runs)) {
      List<RunRecord> rows = RunsCsv.read(runs);
      if (rows.isEmpty()) {
        throw new InvalidInputException("--runs " + runs + " has no row with status 'finished'");
      }
      return rows;
    }
    List<RunRecord> records = RunRecord.scan(runs);
    Path csv = runs.resolve(RunsCsv.FILE);
    if (records.isEmpty() && Files.isRegularFile(csv)) {
      records = RunsCsv.read(csv);
    }
    if (records.isEmpty()) {
      throw new InvalidInputException(
          "--runs "
              + runs
              + " holds no finished run (no "
              + RunRecord.REPORT
              + " found, and no finished row in a "
              + RunsCsv.FILE
              + ")");
    }
    return records;
  }

  /**
   * At every budget C where ELBO has a measured optimum L_elbo(C): the FLOPs the fitted low_var law
   * needs to reach L_elbo(C), over C (below 1: low_var is cheaper), and where low_var has an
   * optimum too, L_elbo(C) − L_low_var(C) in nats/token. Uses one fitted law only, so it shows the
   * spread that the single ratio hides.
   */
  private static List<Map<String, Object>> perBudget(
      ScalingStudy.Series lv, ScalingStudy.Series el, StringBuilder text) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (ScalingStudy.Budget b : el.budgets()) {
      if (!b.usable()) {
        continue;
      }
      double ratio = lv.flopsFor(b.lOpt()) / b.budget();
      double gap = Double.NaN;
      for (ScalingStudy.Budget o : lv.budgets()) {
        if (o.budget() == b.budget() && o.usable()) {
          gap = b.lOpt() - o.lOpt();
        }
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("flops", b.budget());
      m.put("l_opt_elbo", b.lOpt());
      m.put("ratio_low_var_over_elbo", finite(ratio));
      m.put("l_opt_gap_elbo_minus_low_var", finite(gap));
      out.add(m);
      text.append(
          String.format(
              Locale.ROOT,
              "  at C=%.2e: elbo L_opt %.4f, low_var reaches it with %s x the FLOPs"
                  + " (L_opt gap %s nats/token)%n",
              b.budget(),
              b.lOpt(),
              fmt(ratio, "%.3f"),
              fmt(gap, "%+.4f")));
    }
    return out;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static String fmt(double v, String f) {
    return fmt(v, f, 1);
  }

  private static String fmt(double v, String f, double scale) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, f, v * scale) : "-";
  }
}
