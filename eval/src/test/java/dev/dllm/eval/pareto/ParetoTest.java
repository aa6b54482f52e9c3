package dev.dllm.eval.pareto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.run.ParetoRun;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParetoTest {
  private static ParetoPoint p(String fam, int steps, double tps, double ppl, double h) {
    return new ParetoPoint(
        fam, fam + "-model", "default", steps, tps, ppl, h, steps, false, false, -1);
  }

  /** Hand-made plane: the frontier is computed by inspection. */
  static final List<ParetoPoint> POINTS =
      List.of(
          p("ar", 255, 100, 20, 4.0), // slow, best quality: on
          p("mdlm", 8, 1000, 120, 4.1), // fastest: on
          p("mdlm", 32, 400, 60, 4.0), // on
          p("mdlm", 128, 150, 70, 4.0), // dominated by mdlm-32 (faster and better)
          p("duo", 8, 900, 130, 3.0), // dominated by mdlm-8
          p("duo", 32, 400, 60, 3.9), // ties mdlm-32 exactly: both kept
          p("duo", 16, 600, 80, 2.0), // on (between 400 and 1000)
          p("esolm", 64, 50, 25, 4.0), // dominated by ar (faster and better)
          p("bad", 4, 2000, Double.NaN, 0.1)); // non-finite: never on

  @Test
  void nonDominatedSet() {
    List<ParetoPoint> f = ParetoFrontier.frontier(POINTS);
    List<String> got = f.stream().map(q -> q.family() + q.steps()).toList();
    assertEquals(List.of("ar255", "mdlm32", "duo32", "duo16", "mdlm8"), got);
  }

  /** A sampler with its own predictor is its own series, named with its τ and block length. */
  @Test
  void aConfidenceSamplerIsItsOwnSeriesWithItsSettingsInTheLegend() {
    ParetoRun.Variant conf =
        new ParetoRun.Variant(
            "mdlm",
            "c",
            Map.of("predictor", "confidence", "threshold", "0.70", "block_length", "16"));
    assertEquals("confidence (τ 0.7, block 16)", conf.series());
    assertEquals(
        "confidence (τ 0.9, block 32)",
        new ParetoRun.Variant("duo", "d", Map.of("predictor", "confidence")).series());
    assertEquals(null, new ParetoRun.Variant("duo", "g", Map.of("greedy_tail", "true")).series());
    List<ParetoPoint> pts =
        List.of(
            p("mdlm", 64, 800, 80, 3),
            new ParetoPoint(
                "mdlm", "mdlm-model", "c", 256, 3000, 82, 3, 37, false, true, -1, conf.series(), 8),
            new ParetoPoint(
                "duo", "duo-model", "g", 64, 700, 90, 3, 65, false, false, -1, null, 8));
    var data = ParetoChart.create(pts, 3.2).getXYPlot().getDataset();
    assertEquals("mdlm", data.getSeriesKey(0));
    assertEquals("mdlm confidence (τ 0.7, block 16)", data.getSeriesKey(1));
    assertEquals("duo", data.getSeriesKey(2));
    var r = ParetoChart.create(pts, 3.2).getXYPlot().getRenderer();
    assertEquals("T=256 NFE=37 H=3.00", r.getDefaultItemLabelGenerator().generateLabel(data, 1, 0));
    String csv = ParetoFiles.csv(pts);
    assertTrue(csv.contains(",\"confidence (τ 0.7, block 16)\",8\n"), csv);
  }

  /** A family with two models (a Duo and its distilled student) gets one legend entry per model. */
  @Test
  void twoModelsOfOneFamilyAreTwoSeries() {
    List<ParetoPoint> pts =
        List.of(
            new ParetoPoint(
                "duo", "runs/duo-xs/onnx", "default", 8, 900, 90, 3, 9, false, false, -1),
            new ParetoPoint(
                "duo", "runs/duo-distill/onnx", "default", 8, 900, 50, 3, 9, false, true, -1),
            p("mdlm", 8, 800, 80, 3));
    var data = ParetoChart.create(pts, 3.2).getXYPlot().getDataset();
    assertEquals("duo (duo-xs)", data.getSeriesKey(0));
    assertEquals("duo (duo-distill)", data.getSeriesKey(1));
    assertEquals("mdlm", data.getSeriesKey(2));
  }

  @Test
  void collapseFlag() {
    List<ParetoPoint> flagged = ParetoFrontier.flag(POINTS, 3.0);
    // threshold 2.5 nats: only duo-16 (H = 2.0) and bad (0.1) are collapsed
    List<String> collapsed =
        flagged.stream().filter(ParetoPoint::collapsed).map(q -> q.family() + q.steps()).toList();
    assertEquals(List.of("duo16", "bad4"), collapsed);
    assertTrue(flagged.get(0).frontier());
    assertFalse(flagged.get(3).frontier());
    assertFalse(ParetoFrontier.collapsed(0.1, Double.NaN));
  }

  @Test
  void writesJsonCsvAndAPngOfTheRightSize(@TempDir Path dir) throws Exception {
    List<ParetoPoint> flagged = ParetoFrontier.flag(POINTS, 3.0);
    Path png = ParetoFiles.write(dir, flagged, 3.0, Map.of("scorer", "test"));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(ParetoChart.WIDTH, img.getWidth());
    assertEquals(ParetoChart.HEIGHT, img.getHeight());
    List<String> csv = Files.readAllLines(dir.resolve("pareto.csv"));
    assertEquals(ParetoFiles.CSV_HEADER, csv.get(0));
    assertEquals(POINTS.size() + 1, csv.size());
    JsonNode json = EvalFiles.JSON.readTree(dir.resolve("pareto.json").toFile());
    assertEquals(5, json.get("frontier").size());
    assertEquals(3.0, json.get("reference_entropy").asDouble());
    assertEquals(POINTS.size(), json.get("points").size());
    try (var files = Files.list(dir)) {
      assertEquals(3, files.count(), "no temporary file left behind");
    }
  }

  /** The demo's extreme points: every label (centred above its point) stays inside the plot. */
  @Test
  void labelsOfTheExtremePointsAreNotClipped() {
    List<ParetoPoint> pts =
        ParetoFrontier.flag(
            List.of(
                new ParetoPoint("ar", "a", "kv_cache", 63, 5886, 838, 2.95, 63, false, false, -1),
                new ParetoPoint("mdlm", "m", "default", 32, 1860, 1236, 2.95, 33, false, false, -1),
                new ParetoPoint("duo", "d", "greedy_tail", 8, 5934, 7803, 0.0, 9, false, false, -1),
                new ParetoPoint(
                    "esolm", "e", "kv_cache", 8, 31129, 1071, 3.02, 8, false, false, -1)),
            3.0);
    JFreeChart chart = ParetoChart.create(pts, 3.0);
    BufferedImage img =
        new BufferedImage(ParetoChart.WIDTH, ParetoChart.HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    ChartRenderingInfo info = new ChartRenderingInfo();
    chart.draw(g, new Rectangle2D.Double(0, 0, ParetoChart.WIDTH, ParetoChart.HEIGHT), null, info);
    Rectangle2D area = info.getPlotInfo().getDataArea();
    XYPlot plot = chart.getXYPlot();
    FontMetrics fm = g.getFontMetrics(plot.getRenderer().getDefaultItemLabelFont());
    for (ParetoPoint p : pts) {
      String label =
          (p.variant().equals("default") ? "" : p.variant() + " ")
              + String.format(java.util.Locale.ROOT, "T=%d H=%.2f", p.steps(), p.entropy());
      double x =
          plot.getDomainAxis().valueToJava2D(p.tokensPerSecond(), area, plot.getDomainAxisEdge());
      double y = plot.getRangeAxis().valueToJava2D(p.genPpl(), area, plot.getRangeAxisEdge());
      double half = fm.stringWidth(label) / 2.0;
      assertTrue(x - half >= area.getMinX(), label + " clipped on the left");
      assertTrue(x + half <= area.getMaxX(), label + " clipped on the right");
      assertTrue(y - fm.getHeight() - 5 >= area.getMinY(), label + " clipped at the top");
    }
    g.dispose();
  }

  /**
   * Issue 19: one model (one gen PPL) or a narrow range must not label every y tick "1.177668E2":
   * the drawn ticks differ, read as plain numbers and each label is its tick's value.
   */
  @Test
  void yTicksOfOnePointOrANarrowRangeDifferAndReadAsNumbers() {
    for (double[] ppl : new double[][] {{117.7668}, {117.7668, 117.7671}, {117.7, 118.9}}) {
      List<ParetoPoint> pts = new java.util.ArrayList<>();
      for (int i = 0; i < ppl.length; i++) {
        pts.add(p("mdlm", 8 << i, 1000 - 100 * i, ppl[i], 4.0));
      }
      JFreeChart chart = ParetoChart.create(ParetoFrontier.flag(pts, 3.0), 3.0);
      BufferedImage img =
          new BufferedImage(ParetoChart.WIDTH, ParetoChart.HEIGHT, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      ChartRenderingInfo info = new ChartRenderingInfo();
      chart.draw(
          g, new Rectangle2D.Double(0, 0, ParetoChart.WIDTH, ParetoChart.HEIGHT), null, info);
      XYPlot plot = chart.getXYPlot();
      List<?> ticks =
          plot.getRangeAxis()
              .refreshTicks(
                  g,
                  new org.jfree.chart.axis.AxisState(),
                  info.getPlotInfo().getDataArea(),
                  plot.getRangeAxisEdge());
      g.dispose();
      List<String> labels = new java.util.ArrayList<>();
      double step = Double.NaN;
      double last = Double.NaN;
      for (Object o : ticks) {
        org.jfree.chart.axis.ValueTick t = (org.jfree.chart.axis.ValueTick) o;
        if (!Double.isNaN(last)) {
          step = t.getValue() - last;
        }
        last = t.getValue();
        labels.add(t.getText());
      }
      String where = java.util.Arrays.toString(ppl) + " -> " + labels;
      assertTrue(labels.size() >= 3, where);
      assertEquals(labels.size(), new java.util.HashSet<>(labels).size(), where);
      for (int i = 0; i < ticks.size(); i++) {
        String text = labels.get(i);
        assertTrue(text.matches("-?[0-9,]+(\\.[0-9]+)?"), where);
        double value = ((org.jfree.chart.axis.ValueTick) ticks.get(i)).getValue();
        assertEquals(value, Double.parseDouble(text.replace(",", "")), step / 2, where);
      }
      // every point lies inside the axis range
      for (double v : ppl) {
        assertTrue(plot.getRangeAxis().getRange().contains(v), where);
      }
    }
  }
}
