package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScalingStudyTest {
  /**
   * Synthetic runs: at budget C the loss is L*(C) + 0.05 (ln N − ln N*(C))² with N*(C) = 1e-3 C^0.5
   * and L*(C) = 1.5 + 300 (C / k)^-0.3, so each parabola recovers N*, L* exactly.
   */
  private static void writeRuns(Path dir, String objective, double k) throws Exception {
    double[] budgets = {1e12, 3e12, 1e13, 3e13, 1e14};
    for (double c : budgets) {
      double nStar = 1e-3 * Math.sqrt(c);
      double lStar = 1.5 + 300 * Math.pow(c / k, -0.3);
      for (double f : new double[] {0.25, 0.5, 1, 2, 4}) {
        double n = nStar * f;
        double d = Math.log(f);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", "mdlm");
        m.put("objective", objective);
        m.put("preset", "p" + f);
        m.put("n_eff", (long) n);
        m.put("flops_budget", c);
        m.put("flops", c * 0.999);
        m.put("val_nll", lStar + 0.05 * d * d);
        EvalFiles.writeJson(
            dir.resolve(objective + "-" + c + "-" + f).resolve(RunRecord.REPORT), m);
      }
    }
  }

  @Test
  void fitsTheLawsAndTheFlopsRatio(@TempDir Path dir) throws Exception {
    writeRuns(dir, "elbo", 1);
    writeRuns(dir, "low_var", 0.8); // low_var reaches every loss with 0.8x the FLOPs
    Files.createDirectories(dir.resolve("unfinished")); // no report: skipped
    List<RunRecord> runs = RunRecord.scan(dir);
    assertEquals(50, runs.size());
    List<ScalingStudy.Series> s = ScalingStudy.analyze(runs);
    assertEquals(List.of("mdlm/elbo", "mdlm/low_var"), s.stream().map(x -> x.group()).toList());
    ScalingStudy.Series elbo = s.get(0);
    for (ScalingStudy.Budget b : elbo.budgets()) {
      assertEquals(1e-3 * Math.sqrt(b.budget()), b.nOpt(), 1e-3 * Math.sqrt(b.budget()) * 1e-3);
    }
    assertEquals(0.5, elbo.nOptLaw().a(), 1e-3);
    assertEquals(1.5, elbo.lOptLaw().e(), 1e-3);
    assertEquals(0.3, elbo.lOptLaw().b(), 1e-3);
    double ratio = ScalingStudy.flopsRatio(s.get(1), elbo, elbo.lossAt(1e14));
    assertEquals(0.8, ratio, 1e-3);

    Path iso = dir.resolve("isoflop.png");
    Path sc = dir.resolve("scaling.png");
    EvalFiles.writePng(iso, ScalingCharts.isoflop(s), ScalingCharts.WIDTH, ScalingCharts.HEIGHT);
    EvalFiles.writePng(sc, ScalingCharts.scaling(s), ScalingCharts.WIDTH, ScalingCharts.HEIGHT);
    BufferedImage img = ImageIO.read(sc.toFile());
    assertEquals(ScalingCharts.WIDTH, img.getWidth());
    assertEquals(ScalingCharts.HEIGHT, ImageIO.read(iso.toFile()).getHeight());
    assertEquals(2, ScalingStudy.toJson(s).size());
  }

  /**
   * Two budgets with an interior optimum give a two-point power law whose 95% interval is
   * undefined; the report writes null there instead of failing (the first real sweep crashed in
   * {@code toJson} with a NullPointerException).
   */
  @Test
  void twoPointLawsReportNullIntervals(@TempDir Path dir) throws Exception {
    for (double c : new double[] {1e12, 1e13}) {
      double nStar = 1e-3 * Math.sqrt(c);
      for (double f : new double[] {0.25, 0.5, 1, 2, 4}) {
        double d = Math.log(f);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", "ar");
        m.put("objective", "ce");
        m.put("preset", "p" + f);
        m.put("n_eff", (long) (nStar * f));
        m.put("flops_budget", c);
        m.put("flops", c);
        m.put("val_nll", 2 + 100 / Math.sqrt(c) + 0.05 * d * d);
        EvalFiles.writeJson(dir.resolve(c + "-" + f).resolve(RunRecord.REPORT), m);
      }
    }
    List<ScalingStudy.Series> s = ScalingStudy.analyze(RunRecord.scan(dir));
    assertEquals(0.5, s.get(0).nOptLaw().a(), 1e-3);
    @SuppressWarnings("unchecked")
    Map<String, Object> law =
        (Map<String, Object>)
            ((Map<String, Object>) ScalingStudy.toJson(s).get("ar/ce")).get("n_opt_law");
    assertEquals(java.util.Arrays.asList(null, null), law.get("a_ci95"));
  }

  @Test
  void badReportNamesTheFileAndField(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve(RunRecord.REPORT), "{\"family\":\"ar\",\"objective\":\"ce\"}");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunRecord.scan(dir));
    assertEquals(true, e.getMessage().contains("flops"));
    assertThrows(InvalidInputException.class, () -> RunRecord.scan(dir.resolve("missing")));
  }

  @Test
  void optimaOutsideTheSizesTriedAreNotFitted() {
    // budgets too small: the smallest model is best at every budget (as in a real tiny sweep)
    List<RunRecord> runs = new java.util.ArrayList<>();
    for (double c : new double[] {1e11, 3e11, 1e12}) {
      for (long n : new long[] {100_000, 800_000, 4_700_000}) {
        double loss =
            2
                + 0.3 * Math.log(n / 1e5)
                - 0.2 * Math.log(c / 1e11)
                + 0.02 * Math.log(n / 1e5) * Math.log(n / 1e5);
        runs.add(new RunRecord("ar", "ce", "p", c, n, loss, Path.of(".")));
      }
    }
    ScalingStudy.Series s = ScalingStudy.analyze(runs).get(0);
    for (ScalingStudy.Budget b : s.budgets()) {
      assertEquals(false, b.usable());
      assertEquals(Double.NaN, b.nOpt());
      assertEquals(true, b.note().contains("not used"));
    }
    assertEquals(null, s.nOptLaw());
    assertEquals(null, s.lOptLaw());
  }

  /**
   * A wide ladder (8 sizes over e^7 in N) whose loss is parabolic near N* but flattens far from it:
   * the parabola over all sizes misplaces N_opt; over the best run ± {@link ScalingStudy#WINDOW}
   * sizes (symmetric here) it recovers N* exactly. A best run at the edge is not used.
   */
  @Test
  void parabolaIsFittedAroundTheBestRun() {
    double nStar = 3e4;
    List<RunRecord> runs = new java.util.ArrayList<>();
    double[] all = new double[8];
    double[] losses = new double[8];
    for (int k = 0; k < 8; k++) {
      double d = k - 2; // ln(N / N*) from -2 to 5
      double loss = 2.0 + 0.6 * (1 - Math.exp(-d * d / 12)); // ≈ 2 + 0.05 d² near d = 0
      all[k] = nStar * Math.exp(d);
      losses[k] = loss;
      runs.add(new RunRecord("mdlm", "low_var", "p" + k, 1e12, (long) all[k], loss, Path.of(".")));
      // at 3e11 the smallest model is best: not used
      runs.add(
          new RunRecord(
              "mdlm", "low_var", "p" + k, 3e11, (long) all[k], 2 + 0.1 * k, Path.of(".")));
    }
    double global = Parabola.fit(all, losses).nOpt();
    assertTrue(Math.abs(global / nStar - 1) > 0.1, "the wide-ladder parabola is biased: " + global);
    ScalingStudy.Series s = ScalingStudy.analyze(runs).get(0);
    ScalingStudy.Budget edge = s.budgets().get(0);
    ScalingStudy.Budget b = s.budgets().get(1);
    assertEquals(5, b.fitted().size());
    assertEquals(nStar, b.nOpt(), nStar * 1e-3);
    assertEquals(false, edge.usable());
    assertTrue(edge.note().contains("smallest"), edge.note());
  }
}
