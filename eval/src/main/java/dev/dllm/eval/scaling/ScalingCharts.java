package dev.dllm.eval.scaling;

import dev.dllm.eval.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * {@code isoflop.png} (val loss against N_eff on a log axis: one colour per family, one marker
 * shape per objective, marker size growing with the budget, the fitted parabolas drawn; a size
 * trained with several seeds is drawn at its mean with an error bar of ±1 sample std) and {@code
 * scaling.png} (log–log N_opt and L_opt against C with their fitted laws; at a budget without an
 * interior optimum, a hollow marker at the best run tried, and the subtitle names the series
 * without a law). Colours and markers: {@link SeriesStyle}.
 */
public final class ScalingCharts {
  public static final int WIDTH = 1200;
  public static final int HEIGHT = 800;

  private ScalingCharts() {}

  /** The IsoFLOP curves, with ±1 std error bars at the sizes run with ≥ 2 seeds. */
  public static JFreeChart isoflop(List<ScalingStudy.Series> series) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    SeriesStyle style = SeriesStyle.of(series);
    int idx = 0;
    boolean anyReplicate = false;
    for (ScalingStudy.Series s : series) {
      Color colour = style.colour(s.family());
      String objective = SeriesStyle.objective(s);
      for (int bi = 0; bi < s.budgets().size(); bi++) {
        ScalingStudy.Budget b = s.budgets().get(bi);
        // one legend entry per series (its smallest budget's markers)
        String key =
            bi == 0 ? s.group() : String.format(Locale.ROOT, "%s C=%.0e", s.group(), b.budget());
        XYSeries pts = new XYSeries(key, true, true);
        for (SizeStats z : b.sizes()) {
          pts.add(z.nEff(), z.mean());
          anyReplicate |= z.n() >= 2;
        }
        data.addSeries(pts);
        r.setSeriesPaint(idx, colour);
        r.setSeriesLinesVisible(idx, false);
        r.setSeriesShape(idx, SeriesStyle.shape(objective, 7 + 2.5 * bi));
        r.setSeriesVisibleInLegend(idx, bi == 0);
        idx++;
        if (b.parabola() != null) {
          XYSeries curve = new XYSeries(key + " fit", true, true);
          // drawn over the sizes it was fitted to (ScalingStudy.WINDOW around the best size)
          double lo = Math.log(b.fitted().get(0).nEff()) - 0.2;
          double hi = Math.log(b.fitted().get(b.fitted().size() - 1).nEff()) + 0.2;
          for (int k = 0; k <= 60; k++) {
            double n = Math.exp(lo + (hi - lo) * k / 60);
            curve.add(n, b.parabola().at(n));
          }
          data.addSeries(curve);
          r.setSeriesPaint(idx, colour);
          r.setSeriesShapesVisible(idx, false);
          r.setSeriesStroke(idx, SeriesStyle.stroke(objective));
          r.setSeriesVisibleInLegend(idx, false);
          idx++;
        }
      }
    }
    LogAxis n = Charts.logAxis("N_eff, parameters counted for FLOPs (log scale)");
    XYPlot plot = new XYPlot(data, n, Charts.linearAxis("validation loss (nats/token)"), r);
    YIntervalSeriesCollection bars = errorBars(series);
    if (bars.getSeriesCount() > 0) {
      XYErrorRenderer er = new XYErrorRenderer();
      er.setDrawXError(false);
      er.setDrawYError(true);
      er.setCapLength(10);
      er.setErrorStroke(new BasicStroke(1.5f));
      er.setDefaultLinesVisible(false);
      er.setDefaultShapesVisible(false);
      er.setDefaultSeriesVisibleInLegend(false);
      for (int i = 0; i < bars.getSeriesCount(); i++) {
        String group = (String) bars.getSeriesKey(i);
        String family = group.substring(0, group.indexOf('/'));
        er.setSeriesPaint(i, style.colour(family));
      }
      plot.setDataset(1, bars);
      plot.setRenderer(1, er);
    }
    Charts.stylePlot(plot);
    return Charts.chart(
        "IsoFLOP curves",
        SeriesStyle.LEGEND
            + "; marker size grows with the budget"
            + (anyReplicate ? "\nerror bars: ±1 sample std over seeds, at the mean loss" : ""),
        plot);
  }

  /**
   * One {@link YIntervalSeries} per series (keyed {@code family/objective}) holding (N_eff, mean,
   * mean − std, mean + std) for every size and budget with ≥ 2 seeds; series without replicates are
   * left out.
   */
  static YIntervalSeriesCollection errorBars(List<ScalingStudy.Series> series) {
    YIntervalSeriesCollection bars = new YIntervalSeriesCollection();
    for (ScalingStudy.Series s : series) {
      YIntervalSeries y = new YIntervalSeries(s.group(), true, true);
      for (ScalingStudy.Budget b : s.budgets()) {
        for (SizeStats z : b.sizes()) {
          if (z.n() >= 2) {
            y.add(z.nEff(), z.mean(), z.mean() - z.std(), z.mean() + z.std());
          }
        }
      }
      if (y.getItemCount() > 0) {
        bars.addSeries(y);
      }
    }
    return bars;
  }

  /** N_opt(C) and L_opt(C) with their fits, log–log. */
  public static JFreeChart scaling(List<ScalingStudy.Series> series) {
    LogAxis c = Charts.logAxis("training compute C (FLOPs, log scale)");
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(c);
    plot.setGap(12);
    plot.add(panel(series, true), 1);
    plot.add(panel(series, false), 1);
    List<String> noLaw =
        series.stream().filter(s -> s.lawNote() != null).map(ScalingStudy.Series::group).toList();
    String sub =
        "top: N_opt(C) ∝ C^a; bottom: L_opt(C) = E + A·C^-b (lines: fits); " + SeriesStyle.LEGEND;
    if (!noLaw.isEmpty()) {
      sub +=
          "\n"
              + ScalingStudy.NO_LAW
              + ": "
              + String.join(", ", noLaw)
              + " (hollow: best run tried at a budget without one)";
    }
    return Charts.chart("Compute-optimal scaling", sub, plot);
  }

  /**
   * The best size tried (lowest mean val loss over its seeds) at each budget of {@code s} without
   * an interior optimum: its N_eff (top panel) or its loss (bottom panel, an upper bound on L_opt).
   */
  static XYSeries bestRuns(ScalingStudy.Series s, boolean nOpt) {
    XYSeries best =
        new XYSeries(s.group() + " best run, no optimum" + (nOpt ? "" : " "), true, true);
    for (ScalingStudy.Budget b : s.budgets()) {
      if (b.usable()) {
        continue;
      }
      b.sizes().stream()
          .filter(z -> Double.isFinite(z.mean()) && z.mean() > 0 && z.nEff() > 0)
          .min(java.util.Comparator.comparingDouble(SizeStats::mean))
          .ifPresent(z -> best.add(b.budget(), nOpt ? z.nEff() : z.mean()));
    }
    return best;
  }

  private static XYPlot panel(List<ScalingStudy.Series> series, boolean nOpt) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    SeriesStyle style = SeriesStyle.of(series);
    int idx = 0;
    for (ScalingStudy.Series s : series) {
      Color colour = style.colour(s.family());
      String objective = SeriesStyle.objective(s);
      XYSeries pts = new XYSeries(s.group() + (nOpt ? "" : " "), true, true);
      double cMin = Double.POSITIVE_INFINITY;
      double cMax = 0;
      for (ScalingStudy.Budget b : s.budgets()) {
        double y = nOpt ? b.nOpt() : b.lOpt();
        if (Double.isFinite(y) && y > 0) {
          pts.add(b.budget(), y);
          cMin = Math.min(cMin, b.budget());
          cMax = Math.max(cMax, b.budget());
        }
      }
      data.addSeries(pts);
      r.setSeriesPaint(idx, colour);
      r.setSeriesLinesVisible(idx, false);
      r.setSeriesShape(idx, SeriesStyle.shape(objective, 10));
      r.setSeriesVisibleInLegend(idx, nOpt);
      idx++;
      XYSeries best = bestRuns(s, nOpt);
      if (best.getItemCount() > 0) {
        data.addSeries(best);
        r.setSeriesPaint(idx, colour);
        r.setSeriesLinesVisible(idx, false);
        r.setSeriesShape(idx, SeriesStyle.shape(objective, 10));
        r.setSeriesShapesFilled(idx, false);
        r.setSeriesVisibleInLegend(idx, nOpt);
        idx++;
      }
      boolean hasFit =
          nOpt ? s.nOptLaw() != null : (s.lOptLaw() != null || s.lOptPowerLaw() != null);
      if (hasFit && cMax > 0) {
        XYSeries fit = new XYSeries(s.group() + (nOpt ? " fit" : " fit "), true, true);
        double lo = Math.log(cMin) - 0.3;
        double hi = Math.log(cMax) + 0.3;
        for (int k = 0; k <= 40; k++) {
          double cc = Math.exp(lo + (hi - lo) * k / 40);
          fit.add(cc, nOpt ? s.nOptLaw().at(cc) : s.lossAt(cc));
        }
        data.addSeries(fit);
        r.setSeriesPaint(idx, colour);
        r.setSeriesShapesVisible(idx, false);
        r.setSeriesStroke(idx, SeriesStyle.stroke(objective));
        r.setSeriesVisibleInLegend(idx, false);
        idx++;
      }
    }
    LogAxis y = Charts.logAxis(nOpt ? "N_opt (log)" : "L_opt, nats/token (log)");
    XYPlot p = new XYPlot(data, null, y, r);
    Charts.stylePlot(p);
    return p;
  }
}
