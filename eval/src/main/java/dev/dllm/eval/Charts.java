package dev.dllm.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.ValueAxisPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;

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
   * A log-scale axis (base 10) with ticks at 1-2-5 × 10^k (thinned to 1-3 or 1 per decade, or every
   * few decades, so that at most 10 are drawn) labelled with two significant digits.
   */
  public static LogAxis logAxis(String label) {
    LogAxis a = new NiceLogAxis(label);
    a.setBase(10);
    a.setSmallestValue(1e-300);
    a.setMinorTickMarksVisible(false);
    style(a);
    return a;
  }

  /** {@link LogAxis} with 1-2-5 ticks. */
  static final class NiceLogAxis extends LogAxis {
    private static final long serialVersionUID = 1L;
    private static final int MAX_TICKS = 10;

    NiceLogAxis(String label) {
      super(label);
    }

    /**
     * A single value (one budget, one point) gets a factor-2 range around it instead of failing.
     */
    @Override
    protected void autoAdjustRange() {
      if (getPlot() instanceof ValueAxisPlot vap) {
        Range r = vap.getDataRange(this);
        if (r != null && !(r.getLength() > 0) && r.getLowerBound() > 0) {
          double v = r.getLowerBound();
          setRange(new Range(v / 2, v * 2), false, false);
          return;
        }
      }
      super.autoAdjustRange();
    }

    @Override
    protected List<ValueTick> refreshTicksHorizontal(
        Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
      return ticks(TextAnchor.TOP_CENTER);
    }

    @Override
    protected List<ValueTick> refreshTicksVertical(
        Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
      return ticks(TextAnchor.CENTER_RIGHT);
    }

    List<ValueTick> ticks(TextAnchor anchor) {
      double lo = getRange().getLowerBound();
      double hi = getRange().getUpperBound();
      List<Double> values = niceLogTicks(lo, hi, MAX_TICKS);
      NumberFormat f = new SignificantFormat();
      if (values.size() >= 2 && values.get(1) / values.get(0) < 1.9) { // linear fallback ticks
        double step = values.get(1) - values.get(0);
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        f = new java.text.DecimalFormat(decimals == 0 ? "#,##0" : "0." + "0".repeat(decimals));
      }
      List<ValueTick> out = new ArrayList<>();
      for (double v : values) {
        out.add(new NumberTick(TickType.MAJOR, v, f.format(v), anchor, anchor, 0.0));
      }
      return out;
    }
  }

  /** Tick values in [lo, hi] at 1-2-5, 1-3, 1 per decade, or every k decades; at most max. */
  static List<Double> niceLogTicks(double lo, double hi, int max) {
    List<Double> best = List.of();
    if (!(lo > 0) || !(hi > lo)) {
      return best;
    }
    int d0 = (int) Math.floor(Math.log10(lo));
    int d1 = (int) Math.ceil(Math.log10(hi));
    for (double[] mant : new double[][] {{1, 2, 5}, {1, 3}, {1}}) {
      List<Double> v = new ArrayList<>();
      for (int d = d0; d <= d1; d++) {
        for (double m : mant) {
          double x = m * Math.pow(10, d);
          if (x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9)) {
            v.add(x);
          }
        }
      }
      best = v;
      if (v.size() <= max && v.size() >= 2) {
        return v;
      }
      if (v.size() < 2) {
        return finer(lo, hi);
      }
    }
    int step = (int) Math.ceil((d1 - d0 + 1) / (double) max);
    List<Double> v = new ArrayList<>();
    for (int d = d0; d <= d1; d += step) {
      double x = Math.pow(10, d);
      if (x >= lo && x <= hi) {
        v.add(x);
      }
    }
    return v.isEmpty() ? best : v;
  }

  /** A narrow range (under two 1-2-5 ticks): evenly spaced 1-2-5 × 10^k steps, about 5 ticks. */
  private static List<Double> finer(double lo, double hi) {
    double raw = (hi - lo) / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step =
        raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    List<Double> v = new ArrayList<>();
    for (double x = Math.ceil(lo / step) * step; x <= hi * (1 + 1e-12); x += step) {
      v.add(Math.round(x / step) * step);
    }
    return v;
  }

  /** Two significant digits, thousands separated; exponent form from 1e6 up or below 1e-3. */
  static final class SignificantFormat extends NumberFormat {
    @Override
    public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
      if (v == 0 || !Double.isFinite(v)) {
        return to.append(v == 0 ? "0" : String.valueOf(v));
      }
      double mag = Math.floor(Math.log10(Math.abs(v)));
      if (mag >= 6 || mag < -3) {
        return to.append(String.format(Locale.ROOT, "%.1fe%d", v / Math.pow(10, mag), (int) mag));
      }
      double scale = Math.pow(10, mag - 1);
      double r = Math.round(v / scale) * scale;
      int decimals = (int) Math.max(0, 1 - mag);
      return to.append(String.format(Locale.ROOT, "%,." + decimals + "f", r));
    }

    @Override
    public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
      return format((double) v, to, pos);
    }

    @Override
    public Number parse(String source, ParsePosition pos) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * A linear axis that does not force zero into its range, with ticks at 1-2-5 × 10^k labelled with
   * just enough decimals to tell them apart ({@link #tickUnits}); a single value, or a range
   * narrower than {@value #MIN_RELATIVE_RANGE} of its magnitude, is widened to ± {@value
   * #SINGLE_VALUE_MARGIN} of its middle (JFreeChart's default would make a 1e-8 wide range whose
   * ticks all read "1.177668E2").
   */
  public static NumberAxis linearAxis(String label) {
    NumberAxis a = new NiceNumberAxis(label);
    a.setAutoRangeIncludesZero(false);
    a.setStandardTickUnits(tickUnits());
    style(a);
    return a;
  }

  /** Below this range / |middle| a linear axis is widened. */
  static final double MIN_RELATIVE_RANGE = 0.01;

  /** The half-width, relative to |middle|, of a widened linear axis. */
  static final double SINGLE_VALUE_MARGIN = 0.05;

  /**
   * Tick units 1, 2, 5 × 10^k for k in [−12, 15], each formatted with max(0, −k) decimals (Locale
   * ROOT, thousands separated), so that consecutive ticks of one unit never print alike and never
   * in exponent form.
   */
  public static TickUnits tickUnits() {
    TickUnits units = new TickUnits();
    DecimalFormatSymbols sym = DecimalFormatSymbols.getInstance(Locale.ROOT);
    for (int k = -12; k <= 15; k++) {
      DecimalFormat f = new DecimalFormat(k >= 0 ? "#,##0" : "#,##0." + "0".repeat(-k), sym);
      for (int m : new int[] {1, 2, 5}) {
        units.add(new NumberTickUnit(m * Math.pow(10, k), f));
      }
    }
    return units;
  }

  /** {@link NumberAxis} that widens a degenerate or very narrow auto range. */
  static final class NiceNumberAxis extends NumberAxis {
    private static final long serialVersionUID = 1L;

    NiceNumberAxis(String label) {
      super(label);
    }

    @Override
    protected void autoAdjustRange() {
      super.autoAdjustRange();
      if (getPlot() instanceof ValueAxisPlot vap) {
        Range r = vap.getDataRange(this);
        if (r != null) {
          double mid = r.getCentralValue();
          double half = Math.abs(mid) * SINGLE_VALUE_MARGIN;
          if (r.getLength() < MIN_RELATIVE_RANGE * Math.abs(mid) || r.getLength() == 0) {
            half = half > 0 ? half : 1;
            setRange(new Range(mid - half, mid + half), false, false);
          }
        }
      }
    }
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
