package dev.dllm.eval.scaling;

import dev.dllm.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One model size at one budget of one series: its runs, replicates that differ only by {@link
 * RunRecord#seed()}. The IsoFLOP parabola is fitted to {@link #mean()} per size, so a size trained
 * with two seeds counts once, at its mean loss; {@link #std()} is the run-to-run noise.
 *
 * @param preset model preset
 * @param nEff N_eff shared by the runs
 * @param runs the runs of this size, sorted by seed (at least one)
 */
public record SizeStats(String preset, long nEff, List<RunRecord> runs) {

  /** Number of seeds n. */
  public int n() {
    return runs.size();
  }

  /** Mean val loss over the seeds (nats/token); the loss itself for one seed. */
  public double mean() {
    double s = 0;
    for (RunRecord r : runs) {
      s += r.valLoss();
    }
    return s / runs.size();
  }

  /**
   * Sample standard deviation of the val loss over the seeds (n − 1 in the denominator); NaN for n
   * < 2.
   */
  public double std() {
    int n = runs.size();
    if (n < 2) {
      return Double.NaN;
    }
    double m = mean();
    double ss = 0;
    for (RunRecord r : runs) {
      ss += (r.valLoss() - m) * (r.valLoss() - m);
    }
    return Math.sqrt(ss / (n - 1));
  }

  /**
   * Groups the runs of one budget of one series by (N_eff, preset), sorted by N.
   *
   * @throws InvalidInputException when two runs share a size and a seed but differ in loss (the
   *     same run listed twice with different results: two sweeps mixed up); an exact repeat (a row
   *     concatenated twice) is kept once
   */
  public static List<SizeStats> of(List<RunRecord> runs) {
    Map<String, Map<Long, RunRecord>> bySize = new TreeMap<>();
    Map<String, RunRecord> first = new LinkedHashMap<>();
    for (RunRecord r : runs) {
      String key = String.format("%020d %s", r.nEff(), r.preset());
      first.putIfAbsent(key, r);
      RunRecord was = bySize.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(r.seed(), r);
      if (was != null && was.valLoss() != r.valLoss()) {
        throw new InvalidInputException(
            String.format(
                java.util.Locale.ROOT,
                "two runs of %s %s at C=%.3g with seed %d: %s (val loss %s) and %s (val loss %s);"
                    + " expected one run per size, budget and seed (give replicates other seeds)",
                r.group(),
                r.preset(),
                r.budget(),
                r.seed(),
                was.dir(),
                was.valLoss(),
                r.dir(),
                r.valLoss()));
      }
    }
    List<SizeStats> out = new ArrayList<>();
    for (Map.Entry<String, Map<Long, RunRecord>> e : bySize.entrySet()) {
      RunRecord r = first.get(e.getKey());
      out.add(new SizeStats(r.preset(), r.nEff(), List.copyOf(e.getValue().values())));
    }
    out.sort(Comparator.comparingLong(SizeStats::nEff));
    return out;
  }

  /**
   * The run-to-run noise of every series at every budget where some size has ≥ 2 seeds: per such
   * size n, mean and sample std, and the pooled std sqrt(Σ (n_i − 1) s_i² / Σ (n_i − 1)) with its
   * degrees of freedom. Keyed by series ({@code family/objective}); series without replicates are
   * absent.
   */
  public static Map<String, Object> seedNoise(List<ScalingStudy.Series> series) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (ScalingStudy.Series s : series) {
      List<Map<String, Object>> budgets = new ArrayList<>();
      for (ScalingStudy.Budget b : s.budgets()) {
        List<SizeStats> rep = b.sizes().stream().filter(z -> z.n() >= 2).toList();
        if (rep.isEmpty()) {
          continue;
        }
        double ss = 0;
        int dof = 0;
        for (SizeStats z : rep) {
          ss += (z.n() - 1) * z.std() * z.std();
          dof += z.n() - 1;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flops", b.budget());
        m.put("sizes", rep.stream().map(SizeStats::toJson).toList());
        m.put("pooled_std", Math.sqrt(ss / dof));
        m.put("dof", dof);
        budgets.add(m);
      }
      if (!budgets.isEmpty()) {
        out.put(s.group(), budgets);
      }
    }
    return out;
  }

  /** {@code preset, n_eff, n, seeds, val_losses, mean, std} (std null for one seed). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("preset", preset);
    m.put("n_eff", nEff);
    m.put("n", n());
    m.put("seeds", runs.stream().map(RunRecord::seed).toList());
    m.put("val_losses", runs.stream().map(RunRecord::valLoss).toList());
    m.put("mean", mean());
    m.put("std", ScalingStudy.nullIfNaN(std()));
    return m;
  }
}
