package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.run.FitRun;
import dev.dllm.eval.scaling.SyntheticStudy.Law;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs that differ only by seed: the parabola sees the mean per size; mean, std, n reported. */
class ReplicatesTest {
  private static final Law MDLM = new Law("mdlm", "low_var", 1.2, 62.6, 0.15, 0.05, 0.5);

  /** Seed-2 offsets of the three middle sizes at 1e11. */
  private static final double[] OFFSET = {0.03, -0.02, 0.05};

  /** Seed 1 everywhere; seed 2 at 1e11 for sizes 1..3, loss shifted by {@link #OFFSET}. */
  private static List<RunRecord> runs() {
    List<RunRecord> runs = new ArrayList<>(SyntheticStudy.runs(MDLM, 1));
    for (int i = 1; i <= 3; i++) {
      RunRecord r = runs.get(i);
      assertEquals(1e11, r.budget());
      runs.add(
          new RunRecord(
              r.family(),
              r.objective(),
              r.preset(),
              r.budget(),
              r.nEff(),
              r.valLoss() + OFFSET[i - 1],
              r.dir(),
              2));
    }
    return runs;
  }

  @Test
  void theParabolaIsFittedToTheMeanPerSize() {
    List<RunRecord> runs = runs();
    ScalingStudy.Budget b = ScalingStudy.analyze(runs).get(0).budgets().get(0);
    assertEquals(8, b.runs().size());
    assertEquals(5, b.sizes().size());
    double[] n = new double[5];
    double[] mean = new double[5];
    for (int i = 0; i < 5; i++) {
      SizeStats z = b.sizes().get(i);
      double x = runs.get(i).valLoss();
      n[i] = runs.get(i).nEff();
      boolean two = i >= 1 && i <= 3;
      mean[i] = two ? x + OFFSET[i - 1] / 2 : x;
      assertEquals(two ? 2 : 1, z.n());
      assertEquals(mean[i], z.mean(), 1e-15);
      if (two) {
        // sample std of {x, x + d}: |d| / sqrt(2)
        assertEquals(Math.abs(OFFSET[i - 1]) / Math.sqrt(2), z.std(), 1e-12);
      } else {
        assertTrue(Double.isNaN(z.std()));
      }
    }
    Parabola expected = Parabola.fit(n, mean);
    assertEquals(expected.c0(), b.parabola().c0(), 1e-9);
    assertEquals(expected.c1(), b.parabola().c1(), 1e-9);
    assertEquals(expected.c2(), b.parabola().c2(), 1e-9);
    assertEquals(expected.nOpt(), b.nOpt(), 1e-6 * expected.nOpt());
    assertNotEquals(MDLM.nStar(1e11), b.nOpt(), 1e-3 * MDLM.nStar(1e11)); // the mean moved it

    // error bars: (N, mean, mean - std, mean + std) at the replicated sizes only
    YIntervalSeriesCollection bars = ScalingCharts.errorBars(ScalingStudy.analyze(runs));
    assertEquals(1, bars.getSeriesCount());
    YIntervalSeries y = bars.getSeries(0);
    assertEquals(3, y.getItemCount());
    for (int i = 0; i < 3; i++) {
      double s = Math.abs(OFFSET[i]) / Math.sqrt(2);
      assertEquals(n[i + 1], y.getX(i).doubleValue());
      assertEquals(mean[i + 1], y.getYValue(i), 1e-15);
      assertEquals(mean[i + 1] - s, y.getYLowValue(i), 1e-12);
      assertEquals(mean[i + 1] + s, y.getYHighValue(i), 1e-12);
    }
  }

  @Test
  void seedNoiseFromTwoTablesPooled(@TempDir Path dir) throws Exception {
    // seed 1 in a table without a seed column (as docs/results), seed 2 in a sweep's new table
    StringBuilder a =
        new StringBuilder("family,objective,preset,flops_budget,status,n_eff,val_nll\n");
    StringBuilder b =
        new StringBuilder("family,objective,preset,flops_budget,status,n_eff,val_nll,dir,seed\n");
    for (RunRecord r : runs()) {
      StringBuilder to = r.seed() == 1 ? a : b;
      to.append(
          String.format(
              Locale.ROOT,
              "%s,%s,%s,%.6g,finished,%d,%s%s%n",
              r.family(),
              r.objective(),
              r.preset(),
              r.budget(),
              r.nEff(),
              Double.toString(r.valLoss()),
              r.seed() == 1 ? "" : ",x," + r.seed()));
    }
    Path one = Files.writeString(dir.resolve("one.csv"), a);
    Path two = Files.writeString(dir.resolve("two.csv"), b);
    FitRun.Result res = FitRun.run(List.of(one, two), dir, null);
    JsonNode report = EvalFiles.JSON.readTree(dir.resolve("fit-report.json").toFile());
    JsonNode noise = report.at("/seed_noise/mdlm~1low_var/0");
    assertEquals(1e11, noise.get("flops").asDouble());
    double ss = 0;
    for (double d : OFFSET) {
      ss += d * d / 2; // each size: s² = d² / 2 with 1 degree of freedom
    }
    assertEquals(Math.sqrt(ss / 3), noise.get("pooled_std").asDouble(), 1e-12);
    assertEquals(3, noise.get("dof").asInt());
    assertEquals(
        List.of(1, 2), EvalFiles.JSON.convertValue(noise.at("/sizes/0/seeds"), List.class));
    assertEquals(3, report.at("/series/mdlm~1low_var/budgets/0/seeds").size());
    assertEquals(1, report.get("seed_noise").size());
    assertTrue(res.text().contains("2 seeds, mean"), res.text());
    assertTrue(
        res.text()
            .contains(
                String.format(
                    Locale.ROOT,
                    "mdlm/low_var seed noise at C=1.00e+11: pooled std %.4f nats/token (3 degrees",
                    Math.sqrt(ss / 3))),
        res.text());
    String md = Files.readString(dir.resolve(FitRun.RQ4_TABLE));
    assertTrue(md.contains("| mdlm | low_var |"), md);
    assertTrue(Files.size(dir.resolve("isoflop.png")) > 0);
  }

  @Test
  void theSameRunTwiceWithOtherLossesIsRefused() {
    List<RunRecord> runs = new ArrayList<>(SyntheticStudy.runs(MDLM, 1));
    runs.add(runs.get(0)); // an exact repeat (a row concatenated twice) is kept once
    assertEquals(
        20,
        ScalingStudy.analyze(runs).get(0).budgets().stream().mapToInt(x -> x.runs().size()).sum());
    RunRecord r = runs.get(0);
    runs.add(
        new RunRecord(
            r.family(), r.objective(), r.preset(), r.budget(), r.nEff(), 9.9, Path.of("other"), 1));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ScalingStudy.analyze(runs));
    assertTrue(e.getMessage().contains("with seed 1"), e.getMessage());
  }
}
