package dev.dllm.eval.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.scaling.RunRecord;
import dev.dllm.eval.scaling.ScalingCharts;
import dev.dllm.eval.scaling.ScalingStudy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm fit} on a sweep too small for any law says so and still draws what it has. */
class FitRunTest {
  private static void run(Path dir, String preset, long n, double c, double loss) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("family", "ar");
    m.put("objective", "ce");
    m.put("preset", preset);
    m.put("n_eff", n);
    m.put("flops_budget", c);
    m.put("flops", c);
    m.put("val_nll", loss);
    EvalFiles.writeJson(dir.resolve(preset + "-" + c).resolve(RunRecord.REPORT), m);
  }

  /** The (x, y) points of every series of a dataset. */
  private static List<List<Double>> points(XYDataset d) {
    List<List<Double>> out = new ArrayList<>();
    for (int s = 0; s < d.getSeriesCount(); s++) {
      for (int i = 0; i < d.getItemCount(s); i++) {
        out.add(List.of(d.getXValue(s, i), d.getYValue(s, i)));
      }
    }
    return out;
  }

  @Test
  void twoPresetsPerBudgetDrawTheBestRunsAndSayWhyThereIsNoLaw(@TempDir Path dir) throws Exception {
    // two sizes per budget: no parabola, so no N_opt, no law
    run(dir, "xs", 1_000_000, 1e12, 3.0);
    run(dir, "s", 4_000_000, 1e12, 3.2);
    run(dir, "xs", 1_000_000, 1e13, 2.6);
    run(dir, "s", 4_000_000, 1e13, 2.4);
    FitRun.Result r = FitRun.run(dir, dir);
    String note =
        "no power-law fit: needs ≥ 2 budgets with an interior optimum (0 of 2 budgets have one)";
    assertTrue(r.text().contains("ar/ce:\n"), r.text());
    assertTrue(r.text().contains("  " + note + "\n"), r.text());
    JsonNode report = EvalFiles.JSON.readTree(dir.resolve("fit-report.json").toFile());
    assertEquals(note, report.at("/scaling_notes/ar~1ce").asText());
    assertTrue(Files.size(dir.resolve("scaling.png")) > 0);

    JFreeChart chart = ScalingCharts.scaling(r.series());
    List<XYPlot> panels = ((CombinedDomainXYPlot) chart.getPlot()).getSubplots();
    // top: N_eff of the lowest-loss run per budget; bottom: its loss
    assertEquals(
        List.of(List.of(1e12, 1e6), List.of(1e13, 4e6)), points(panels.get(0).getDataset()));
    assertEquals(
        List.of(List.of(1e12, 3.0), List.of(1e13, 2.4)), points(panels.get(1).getDataset()));
    String subtitle = ((TextTitle) chart.getSubtitle(chart.getSubtitleCount() - 1)).getText();
    assertTrue(subtitle.contains(ScalingStudy.NO_LAW + ": ar/ce"), subtitle);
  }

  @Test
  void aSeriesWithLawsHasNoNote(@TempDir Path dir) throws Exception {
    // L = L*(C) + 0.1 (ln N - ln N*)², N* = 1e-3 sqrt(C): interior optima at both budgets
    for (double c : new double[] {1e12, 1e14}) {
      double nStar = 1e-3 * Math.sqrt(c);
      for (double f : new double[] {0.5, 1, 2}) {
        double d = Math.log(f);
        run(dir, "p" + f, Math.round(nStar * f), c, 3 - 0.1 * Math.log10(c) + 0.1 * d * d);
      }
    }
    FitRun.Result r = FitRun.run(dir, dir);
    assertNull(r.series().get(0).lawNote());
    assertTrue(!r.text().contains("no power-law fit"), r.text());
    JsonNode report = EvalFiles.JSON.readTree(dir.resolve("fit-report.json").toFile());
    assertEquals(0, report.get("scaling_notes").size());
  }

  /**
   * MDLM low_var reaching every loss with 0.8× ELBO's FLOPs (L*(C) = 1.5 + 300 (C / k)^-0.3, k 1
   * and 0.8; parabolas 0.05 (ln N − ln N*)² around N* = 1e-3 C^0.5): the ratio is 0.8 at ELBO's
   * largest measured budget and at every budget, and the L_opt gap matches the closed form.
   */
  @Test
  void lowVarVersusElboPerBudget(@TempDir Path dir) throws Exception {
    double[] budgets = {1e12, 3e12, 1e13, 3e13};
    for (String obj : new String[] {"elbo", "low_var"}) {
      double k = obj.equals("elbo") ? 1 : 0.8;
      for (double c : budgets) {
        for (double f : new double[] {0.25, 0.5, 1, 2, 4}) {
          double d = Math.log(f);
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("family", "mdlm");
          m.put("objective", obj);
          m.put("preset", "p" + f);
          m.put("n_eff", (long) (1e-3 * Math.sqrt(c) * f));
          m.put("flops_budget", c);
          m.put("flops", c);
          m.put("val_nll", 1.5 + 300 * Math.pow(c / k, -0.3) + 0.05 * d * d);
          EvalFiles.writeJson(dir.resolve(obj + c + "-" + f).resolve(RunRecord.REPORT), m);
        }
      }
    }
    FitRun.Result r = FitRun.run(dir, dir);
    JsonNode cmp =
        EvalFiles.JSON.valueToTree(r.json()).path("comparisons").path("mdlm: low_var vs elbo");
    assertEquals(0.8, cmp.path("ratio_low_var_over_elbo").asDouble(), 2e-3);
    assertEquals(4, cmp.path("per_budget").size());
    for (JsonNode b : cmp.path("per_budget")) {
      double c = b.path("flops").asDouble();
      assertEquals(0.8, b.path("ratio_low_var_over_elbo").asDouble(), 2e-3);
      double gap = 300 * (Math.pow(c, -0.3) - Math.pow(c / 0.8, -0.3));
      assertEquals(gap, b.path("l_opt_gap_elbo_minus_low_var").asDouble(), 1e-3 * gap);
    }
  }
}
