package dev.dllm.eval.pareto;

import dev.dllm.eval.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code pareto.png} as the paper's Figure 1: generated tokens/s on a log x axis, gen PPL on the y
 * axis, one colour per family, every point labelled {@code T=steps H=entropy}, the non-dominated
 * set joined by a black step line, and entropy-collapsed points ringed in red. When a family has
 * several models (e.g. a Duo and its distilled student), each model is its own series, named {@code
 * family (folder)}. A point of a sampler that is its own series ({@link ParetoPoint#series()}, e.g.
 * confidence-threshold decoding) is in the series {@code family <series>} (after the folder when
 * there is one), whose name carries the sampler's settings (τ, block length), and its label shows
 * its NFE, which such samplers adapt to the text.
 */
public final class ParetoChart {
  /** Image size in pixels. */
  public static final int WIDTH = 1200;

  public static final int HEIGHT = 800;

  /** Share of each axis's range added beyond the data (log space on log axes). */
  static final double X_MARGIN = 0.12;

  static final double Y_UPPER_MARGIN = 0.08;

  private ParetoChart() {}

  /**
   * The legend name of {@code p}'s series: its family, or {@code family (folder)} when the family
   * has several models, the folder being the export's own name or, for an {@code onnx} folder, its
   * parent's (the run's name).
   */
  static String seriesName(ParetoPoint p, Map<String, Set<String>> modelsOf) {
    String base = modelSeriesName(p, modelsOf);
    return p.series() == null ? base : base + " " + p.series();
  }

  private static String modelSeriesName(ParetoPoint p, Map<String, Set<String>> modelsOf) {
    if (modelsOf.getOrDefault(p.family(), Set.of()).size() <= 1 || p.model() == null) {
      return p.family();
    }
    Path m = Path.of(p.model()).normalize();
    Path name = m.getFileName();
    if (name != null && name.toString().equals("onnx") && m.getParent() != null) {
      name = m.getParent().getFileName();
    }
    return name == null ? p.family() : p.family() + " (" + name + ")";
  }

  /** The chart of flagged points. */
  public static JFreeChart create(List<ParetoPoint> points, double referenceEntropy) {
    XYSeriesCollection data = new XYSeriesCollection();
    Map<String, Set<String>> modelsOf = new LinkedHashMap<>();
    for (ParetoPoint p : points) {
      modelsOf.computeIfAbsent(p.family(), k -> new LinkedHashSet<>()).add(p.model());
    }
    Map<String, List<ParetoPoint>> byFamily = new LinkedHashMap<>();
    for (ParetoPoint p : points) {
      if (Double.isFinite(p.genPpl()) && p.tokensPerSecond() > 0) {
        byFamily.computeIfAbsent(seriesName(p, modelsOf), k -> new ArrayList<>()).add(p);
      }
    }
    List<List<ParetoPoint>> seriesPoints = new ArrayList<>();
    for (Map.Entry<String, List<ParetoPoint>> e : byFamily.entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), false, true);
      for (ParetoPoint p : e.getValue()) {
        s.add(p.tokensPerSecond(), p.genPpl());
      }
      data.addSeries(s);
      seriesPoints.add(e.getValue());
    }
    XYSeries front = new XYSeries("Pareto frontier", true, true); // sorted by tokens/s
    for (ParetoPoint p : points) {
      if (p.frontier()) {
        front.add(p.tokensPerSecond(), p.genPpl());
      }
    }
    data.addSeries(front);
    XYSeries collapsed =
        new XYSeries(
            String.format(Locale.ROOT, "entropy collapsed (H < %.2f nats)", referenceEntropy - 0.5),
            false,
            true);
    for (ParetoPoint p : points) {
      if (p.collapsed() && Double.isFinite(p.genPpl()) && p.tokensPerSecond() > 0) {
        collapsed.add(p.tokensPerSecond(), p.genPpl());
      }
    }
    if (!collapsed.isEmpty()) {
      data.addSeries(collapsed);
    }
    int families = byFamily.size();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    for (int i = 0; i < families; i++) {
      r.setSeriesLinesVisible(i, false);
      r.setSeriesShapesVisible(i, true);
      r.setSeriesPaint(i, Charts.colour(i));
      r.setSeriesShape(i, new Ellipse2D.Double(-5, -5, 10, 10));
      r.setSeriesItemLabelsVisible(i, true);
    }
    r.setSeriesLinesVisible(families, true);
    r.setSeriesShapesVisible(families, false);
    r.setSeriesPaint(families, Color.BLACK);
    r.setSeriesStroke(
        families,
        new BasicStroke(
            2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
    r.setSeriesItemLabelsVisible(families, false);
    if (!collapsed.isEmpty()) {
      r.setSeriesLinesVisible(families + 1, false);
      r.setSeriesShapesVisible(families + 1, true);
      r.setSeriesShapesFilled(families + 1, false);
      r.setSeriesPaint(families + 1, Color.RED);
      r.setSeriesStroke(families + 1, new BasicStroke(2f));
      r.setSeriesShape(families + 1, new Ellipse2D.Double(-9, -9, 18, 18));
      r.setSeriesItemLabelsVisible(families + 1, false);
    }
    r.setDefaultItemLabelGenerator(
        (dataset, series, item) -> {
          if (series >= seriesPoints.size()) {
            return null;
          }
          ParetoPoint p = seriesPoints.get(series).get(item);
          if (p.series() != null) { // the settings are in the legend; NFE adapts
            return String.format(
                Locale.ROOT, "T=%d NFE=%.0f H=%.2f", p.steps(), p.nfe(), p.entropy());
          }
          String variant = p.variant().equals("default") ? "" : p.variant() + " ";
          return String.format(Locale.ROOT, "%sT=%d H=%.2f", variant, p.steps(), p.entropy());
        });
    r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    r.setDefaultPositiveItemLabelPosition(
        new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
    double lo =
        points.stream().mapToDouble(ParetoPoint::genPpl).filter(Double::isFinite).min().orElse(1);
    double hi =
        points.stream().mapToDouble(ParetoPoint::genPpl).filter(Double::isFinite).max().orElse(1);
    String yLabel = "generative perplexity (lower is better)";
    ValueAxis x = Charts.logAxis("generated tokens / s (log scale)");
    ValueAxis y = hi > 4 * lo ? Charts.logAxis(yLabel + ", log scale") : Charts.linearAxis(yLabel);
    // room for the labels (centred above each point) of the leftmost, rightmost and top points
    x.setLowerMargin(X_MARGIN);
    x.setUpperMargin(X_MARGIN);
    y.setUpperMargin(Y_UPPER_MARGIN);
    XYPlot plot = new XYPlot(data, x, y, r);
    Charts.stylePlot(plot);
    String subtitle =
        Double.isNaN(referenceEntropy)
            ? "labels: T = sampling steps, H = mean sample entropy (nats)"
            : String.format(
                Locale.ROOT,
                "labels: T = sampling steps, H = mean sample entropy (nats);"
                    + " reference text entropy %.2f nats",
                referenceEntropy);
    return Charts.chart("Speed–quality Pareto frontier", subtitle, plot);
  }
}
