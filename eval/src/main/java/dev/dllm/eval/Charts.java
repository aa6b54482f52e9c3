package dev.dllm.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.TextTitle;

/** Shared look of the dllm charts: white background, grey grid, readable fonts, fixed palette. */
public final class Charts {
  private Charts() {}

  /** Colours assigned in order to families (or other series groups). */
  public static final List<Color> PALETTE =
      List.of(
          new Color(0x1f77b4),
          new Color(0xd62728),
          new Color(0x2ca02c),
          new Color(0xff7f0e),
          new Color(0x9467bd),
          new Color(0x8c564b),
          new Color(0xe377c2),
          new Color(0x17becf));

  /** Colour {@code i} of the palette (cycled). */
  public static Color colour(int i) {
    return PALETTE.get(Math.floorMod(i, PALETTE.size()));
  }

  /**
   * A log-scale axis (base 10) labelled with plain numbers at 1, 2, 5 × 10^k (large values in
   * exponent form), readable fonts.
   */
  public static LogarithmicAxis logAxis(String label) {
    LogarithmicAxis a = new LogarithmicAxis(label);
    a.setStrictValuesFlag(false);
    a.setAutoRangeNextLogFlag(false);
    style(a);
    return a;
  }

  /** A linear axis that does not force zero into its range. */
  public static NumberAxis linearAxis(String label) {
    NumberAxis a = new NumberAxis(label);
    a.setAutoRangeIncludesZero(false);
    style(a);
    return a;
  }

  private static void style(org.jfree.chart.axis.ValueAxis a) {
    a.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    a.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
  }

  /** White plot with a light grid. */
  public static void stylePlot(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setDomainGridlineStroke(new BasicStroke(1f));
    plot.setRangeGridlineStroke(new BasicStroke(1f));
    plot.setOutlinePaint(Color.GRAY);
  }

  /** A chart with a title, optional subtitle and a legend at the bottom. */
  public static JFreeChart chart(String title, String subtitle, org.jfree.chart.plot.Plot plot) {
    JFreeChart c = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
    c.setBackgroundPaint(Color.WHITE);
    if (subtitle != null) {
      c.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
    }
    if (c.getLegend() != null) {
      c.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    }
    return c;
  }
}
