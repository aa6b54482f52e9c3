package dev.dllm.eval.task;

import dev.dllm.eval.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Task accuracy as a bar chart in the dllm chart style ({@link Charts}): one group per model,
 * strict and flexible accuracy side by side with their 95% intervals as error bars, and the
 * majority-answer baseline as a dashed line.
 */
public final class TaskChart {
  /** Width of the PNG in pixels. */
  public static final int WIDTH = 1000;

  /** Height of the PNG in pixels. */
  public static final int HEIGHT = 700;

  private TaskChart() {}

  /**
   * One model's accuracies and 95% intervals.
   *
   * @param label the group label (family)
   */
  public record Bar(
      String label,
      double strict,
      double strictLow,
      double strictHigh,
      double flexible,
      double flexibleLow,
      double flexibleHigh) {}

  /** The chart; {@code baseline} is drawn when finite. */
  public static JFreeChart chart(String title, String subtitle, List<Bar> bars, double baseline) {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    double[][][] ci = new double[2][bars.size()][];
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      ds.addValue(b.strict(), "strict (#### n)", b.label());
      ds.addValue(b.flexible(), "flexible (last number)", b.label());
      ci[0][i] = new double[] {b.strictLow(), b.strictHigh()};
      ci[1][i] = new double[] {b.flexibleLow(), b.flexibleHigh()};
    }
    CategoryAxis x = new CategoryAxis("family");
    x.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    x.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    NumberAxis y = new NumberAxis("test accuracy (95% Wilson interval)");
    y.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    y.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    y.setRange(0, 1);
    BarRenderer r = new ErrorBarRenderer(ci);
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setItemMargin(0.05);
    r.setSeriesPaint(0, Charts.colour(0));
    r.setSeriesPaint(1, Charts.colour(2));
    CategoryPlot plot = new CategoryPlot(ds, x, y, r);
    plot.setOrientation(PlotOrientation.VERTICAL);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlineStroke(new BasicStroke(1f));
    plot.setOutlinePaint(Color.GRAY);
    if (Double.isFinite(baseline)) {
      ValueMarker m = new ValueMarker(baseline);
      m.setPaint(Color.DARK_GRAY);
      m.setStroke(
          new BasicStroke(
              2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
      m.setLabel(String.format(java.util.Locale.ROOT, "majority answer %.3f", baseline));
      m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
      plot.addRangeMarker(m);
    }
    return Charts.chart(title, subtitle, plot);
  }

  /** Bars with an error bar (low..high) drawn over each. */
  static final class ErrorBarRenderer extends BarRenderer {
    private static final long serialVersionUID = 1L;
    private final double[][][] ci;

    ErrorBarRenderer(double[][][] ci) {
      this.ci = ci;
    }

    @Override
    public void drawItem(
        Graphics2D g2,
        CategoryItemRendererState state,
        Rectangle2D dataArea,
        CategoryPlot plot,
        CategoryAxis domainAxis,
        ValueAxis rangeAxis,
        CategoryDataset dataset,
        int row,
        int column,
        int pass) {
      super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
      if (pass != 0 || row >= ci.length || column >= ci[row].length) {
        return;
      }
      double x0 =
          calculateBarW0(plot, plot.getOrientation(), dataArea, domainAxis, state, row, column);
      double xc = x0 + state.getBarWidth() / 2;
      double lo = rangeAxis.valueToJava2D(ci[row][column][0], dataArea, plot.getRangeAxisEdge());
      double hi = rangeAxis.valueToJava2D(ci[row][column][1], dataArea, plot.getRangeAxisEdge());
      double cap = Math.min(8, state.getBarWidth() / 4);
      g2.setPaint(Color.BLACK);
      g2.setStroke(new BasicStroke(1.5f));
      g2.draw(new Line2D.Double(xc, lo, xc, hi));
      g2.draw(new Line2D.Double(xc - cap, lo, xc + cap, lo));
      g2.draw(new Line2D.Double(xc - cap, hi, xc + cap, hi));
    }
  }
}
