package dev.dllm.eval.scaling;

import dev.dllm.eval.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code isoflop.png} (val loss against N_eff on a log axis, one colour per series, one marker
 * shape per budget, fitted parabolas drawn) and {@code scaling.png} (log–log N_opt and L_opt
 * against C with their fitted laws; at a budget without an interior optimum, a hollow marker at the
 * best run tried, and the subtitle names the series without a law).
 */
public final class ScalingCharts {
  public static final int WIDTH = 1200;
  public static final int HEIGHT = 800;

  private ScalingCharts() {}

  /** The IsoFLOP curves. */
  public static JFreeChart isoflop(List<ScalingStudy.Series> series) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    int idx = 0;
    for (int g = 0; g < series.size(); g++) {
      ScalingStudy.Series s = series.get(g);
      Color colour = Charts.colour(g);
      for (int bi = 0; bi < s.budgets().size(); bi++) {
        ScalingStudy.Budget b = s.budgets().get(bi);
        XYSeries pts =
            new XYSeries(
                String.format(Locale.ROOT, "%s C=%.0e", s.group(), b.budget()), true, true);
        for (RunRecord run : b.runs()) {
          pts.add(run.nEff(), run.valLoss());
        }
        data.addSeries(pts);
        r.setSeriesPaint(idx, colour);
        r.setSeriesLinesVisible(idx, false);
        r.setSeriesShape(idx, org.jfree.chart.util.ShapeUtils.createDiamond(3 + 2 * bi));
        idx++;
        if (b.parabola() != null) {
          XYSeries curve = new XYSeries(pts.getKey() + " fit", true, true);
          // drawn over the sizes it was fitted to (ScalingStudy.WINDOW around the best run)
          double lo = Math.log(b.fitted().get(0).nEff()) - 0.2;
          double hi = Math.log(b.fitted().get(b.fitted().size() - 1).nEff()) + 0.2;
          for (int k = 0; k <= 60; k++) {
            double n = Math.exp(lo + (hi - lo) * k / 60);
            curve.add(n, b.parabola().at(n));
          }
          data.addSeries(curve);
          r.setSeriesPaint(idx, colour);
          r.setSeriesShapesVisible(idx, false);
          r.setSeriesStroke(idx, new BasicStroke(1.5f));
          r.setSeriesVisibleInLegend(idx, false);
          idx++;
        }
      }
    }
    LogAxis n = Charts.logAxis("N_eff, parameters counted for FLOPs (log scale)");
    XYPlot plot = new XYPlot(data, n, Charts.linearAxis("validation loss (nats/token)"), r);
    Charts.stylePlot(plot);
    return Charts.chart(
        "IsoFLOP curves",
        "one colour per family/objective, marker size grows with the budget",
        plot);
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
    String sub = "top: N_opt(C) ∝ C^a; bottom: L_opt(C) = E + A·C^-b (lines: fits)";
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
   * The best run tried (lowest val loss) at each budget of {@code s} without an interior optimum:
   * its N_eff (top panel) or its loss (bottom panel, an upper bound on L_opt).
   */
  static XYSeries bestRuns(ScalingStudy.Series s, boolean nOpt) {
    XYSeries best =
        new XYSeries(s.group() + " best run, no optimum" + (nOpt ? "" : " "), true, true);
    for (ScalingStudy.Budget b : s.budgets()) {
      if (b.usable()) {
        continue;
      }
      b.runs().stream()
          .filter(run -> Double.isFinite(run.valLoss()) && run.valLoss() > 0 && run.nEff() > 0)
          .min(java.util.Comparator.comparingDouble(RunRecord::valLoss))
          .ifPresent(run -> best.add(b.budget(), nOpt ? run.nEff() : run.valLoss()));
    }
    return best;
  }

  private static XYPlot panel(List<ScalingStudy.Series> series, boolean nOpt) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    int idx = 0;
    for (int g = 0; g < series.size(); g++) {
      ScalingStudy.Series s = series.get(g);
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
      r.setSeriesPaint(idx, Charts.colour(g));
      r.setSeriesLinesVisible(idx, false);
      r.setSeriesShape(idx, new Ellipse2D.Double(-5, -5, 10, 10));
      r.setSeriesVisibleInLegend(idx, nOpt);
      idx++;
      XYSeries best = bestRuns(s, nOpt);
      if (best.getItemCount() > 0) {
        data.addSeries(best);
        r.setSeriesPaint(idx, Charts.colour(g));
        r.setSeriesLinesVisible(idx, false);
        r.setSeriesShape(idx, new Ellipse2D.Double(-5, -5, 10, 10));
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
        r.setSeriesPaint(idx, Charts.colour(g));
        r.setSeriesShapesVisible(idx, false);
        r.setSeriesStroke(idx, new BasicStroke(1.5f));
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
