package dev.dllm.eval.scaling;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The IsoFLOP analysis of a set of runs (paper §scaling; Chinchilla approach 2): per series ({@code
 * family/objective}) and budget C, a {@link Parabola} of val loss against ln N gives N_opt(C) and
 * L_opt(C); across budgets, N_opt = k · C^a ({@link PowerLaw}) and L_opt = E + A · C^(−b) ({@link
 * SaturatingPowerLaw}, or the pure power law L_opt = k · C^(−b) when only two budgets have an
 * optimum). Runs that differ only by seed are replicates: the parabola is fitted to the mean loss
 * per size ({@link SizeStats}), each size counting once whatever its number of seeds, so a second
 * seed moves the optimum only through the mean. {@link #flopsRatio} compares two series at equal
 * loss (the paper's low_var vs ELBO MDLM comparison).
 */
public final class ScalingStudy {
  private ScalingStudy() {}

  /** The console and report note of a series without laws. */
  public static final String NO_LAW =
      "no power-law fit: needs ≥ 2 budgets with an interior optimum";

  /**
   * Sizes on each side of the best run that enter a budget's parabola. A parabola in ln N only
   * describes the loss near its minimum: far from it the loss of a model that sees too few tokens
   * (or has too few parameters) flattens out, and a wide ladder would bias N_opt (Chinchilla
   * approach 2 fits the neighbourhood of the minimum).
   */
  public static final int WINDOW = 2;

  /**
   * One budget of one series.
   *
   * @param budget C (FLOPs)
   * @param sizes every size tried at this budget with its seeds, sorted by N
   * @param parabola the fit over {@link #fitted()} (null with fewer than 3 sizes)
   * @param note why the budget has no usable optimum, or null
   */
  public record Budget(double budget, List<SizeStats> sizes, Parabola parabola, String note) {
    /** Every run at this budget (all seeds), sorted by N then seed. */
    public List<RunRecord> runs() {
      return sizes.stream().flatMap(z -> z.runs().stream()).toList();
    }

    /** Whether some size has ≥ 2 seeds. */
    public boolean replicated() {
      return sizes.stream().anyMatch(z -> z.n() >= 2);
    }

    /**
     * The sizes the parabola is fitted to (at their mean loss): the best and up to {@link #WINDOW}
     * sizes each side.
     */
    public List<SizeStats> fitted() {
      return window(sizes);
    }

    /** N_opt or NaN (also NaN when the optimum lies outside the sizes tried). */
    public double nOpt() {
      return usable() ? parabola.nOpt() : Double.NaN;
    }

    /** L_opt or NaN (also NaN when the optimum lies outside the sizes tried). */
    public double lOpt() {
      return usable() ? parabola.lOpt() : Double.NaN;
    }

    /** Whether the parabola has a minimum inside the sizes tried. */
    public boolean usable() {
      if (parabola == null || !parabola.hasMinimum()) {
        return false;
      }
      double n = parabola.nOpt();
      return note == null
          && fitted().stream().anyMatch(r -> r.nEff() <= n)
          && fitted().stream().anyMatch(r -> r.nEff() >= n);
    }
  }

  /** One series with its fits (null where there were too few optima). */
  public record Series(
      String group,
      String family,
      List<Budget> budgets,
      PowerLaw nOptLaw,
      SaturatingPowerLaw lOptLaw,
      PowerLaw lOptPowerLaw,
      String note) {

    /**
     * Why no power law was fitted ({@code "no power-law fit: needs ≥ 2 budgets with an interior
     * optimum (k of m have one)"}), or null when N_opt ∝ C^a was fitted.
     */
    public String lawNote() {
      if (nOptLaw != null) {
        return null;
      }
      long usable = budgets.stream().filter(Budget::usable).count();
      return String.format(
          java.util.Locale.ROOT,
          "%s (%d of %d budget%s %s one)",
          NO_LAW,
          usable,
          budgets.size(),
          budgets.size() == 1 ? "" : "s",
          budgets.size() == 1 ? "has" : "have");
    }

    /** The fitted L_opt at C (saturating law if fitted, else the pure power law), or NaN. */
    public double lossAt(double c) {
      if (lOptLaw != null) {
        return lOptLaw.at(c);
      }
      return lOptPowerLaw != null ? lOptPowerLaw.at(c) : Double.NaN;
    }

    /** The budget that reaches {@code loss} on the fitted L_opt curve, or NaN. */
    public double flopsFor(double loss) {
      if (lOptLaw != null) {
        return lOptLaw.flopsFor(loss);
      }
      if (lOptPowerLaw != null) {
        return Math.pow(loss / lOptPowerLaw.k(), 1 / lOptPowerLaw.a());
      }
      return Double.NaN;
    }
  }

  /** Analyzes {@code runs}, one {@link Series} per group in name order. */
  public static List<Series> analyze(List<RunRecord> runs) {
    Map<String, Map<Double, List<RunRecord>>> groups = new TreeMap<>();
    for (RunRecord r : runs) {
      groups
          .computeIfAbsent(r.group(), k -> new TreeMap<>())
          .computeIfAbsent(r.budget(), k -> new ArrayList<>())
          .add(r);
    }
    List<Series> out = new ArrayList<>();
    for (Map.Entry<String, Map<Double, List<RunRecord>>> g : groups.entrySet()) {
      List<Budget> budgets = new ArrayList<>();
      List<double[]> optima = new ArrayList<>();
      for (Map.Entry<Double, List<RunRecord>> b : g.getValue().entrySet()) {
        List<SizeStats> rs = SizeStats.of(b.getValue());
        List<SizeStats> fitted = window(rs);
        double[] n = fitted.stream().mapToDouble(SizeStats::nEff).toArray();
        double[] l = fitted.stream().mapToDouble(SizeStats::mean).toArray();
        Parabola p = null;
        String note = null;
        boolean usable = false;
        try {
          p = Parabola.fit(n, l);
          if (fitted.size() >= 3 && edge(rs)) {
            note =
                "lowest loss at the "
                    + (best(rs) == 0 ? "smallest" : "largest")
                    + " size tried: optimum outside the sizes tried; not used in the fits";
          } else if (!p.hasMinimum()) {
            note = "parabola opens downwards: no optimum; not used in the fits";
          } else if (p.nOpt() < min(n) || p.nOpt() > max(n)) {
            note = "optimum outside the sizes tried (extrapolated); not used in the fits";
          } else {
            usable = true;
          }
        } catch (IllegalArgumentException e) {
          note = e.getMessage();
        }
        budgets.add(new Budget(b.getKey(), rs, p, note));
        if (usable) {
          optima.add(new double[] {b.getKey(), p.nOpt(), p.lOpt()});
        }
      }
      double[] c = optima.stream().mapToDouble(o -> o[0]).toArray();
      double[] nOpt = optima.stream().mapToDouble(o -> o[1]).toArray();
      double[] lOpt = optima.stream().mapToDouble(o -> o[2]).toArray();
      PowerLaw nLaw = null;
      SaturatingPowerLaw lLaw = null;
      PowerLaw lPow = null;
      String note = null;
      if (c.length >= 2) {
        nLaw = PowerLaw.fit(c, nOpt);
        lPow = PowerLaw.fit(c, lOpt);
      }
      if (c.length >= 3) {
        try {
          lLaw = SaturatingPowerLaw.fit(c, lOpt);
        } catch (RuntimeException e) {
          note = "E + A·C^-b did not converge (" + e.getMessage() + "); pure power law used";
        }
      } else {
        note =
            c.length
                + " budget(s) with an optimum: "
                + (c.length < 2 ? "no fit" : "pure power law");
      }
      String family = g.getValue().values().iterator().next().get(0).family();
      out.add(new Series(g.getKey(), family, budgets, nLaw, lLaw, lPow, note));
    }
    return out;
  }

  /** The sizes (sorted by N) within {@link #WINDOW} sizes of the lowest mean loss. */
  static List<SizeStats> window(List<SizeStats> byN) {
    int i = best(byN);
    if (i < 0) {
      return byN;
    }
    return byN.subList(Math.max(0, i - WINDOW), Math.min(byN.size(), i + WINDOW + 1));
  }

  /** Index of the lowest mean loss, or -1 when empty. */
  private static int best(List<SizeStats> byN) {
    int i = -1;
    for (int j = 0; j < byN.size(); j++) {
      if (i < 0 || byN.get(j).mean() < byN.get(i).mean()) {
        i = j;
      }
    }
    return i;
  }

  /** Whether the lowest loss is at the smallest or the largest size tried. */
  private static boolean edge(List<SizeStats> byN) {
    int i = best(byN);
    return i == 0 || i == byN.size() - 1;
  }

  /**
   * FLOPs that series {@code a} needs to reach {@code loss}, divided by the FLOPs series {@code b}
   * needs (e.g. low_var vs ELBO: below 1 means {@code a} is cheaper).
   */
  public static double flopsRatio(Series a, Series b, double loss) {
    return a.flopsFor(loss) / b.flopsFor(loss);
  }

  /** A JSON-friendly view of the analysis. */
  public static Map<String, Object> toJson(List<Series> series) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Series s : series) {
      Map<String, Object> m = new LinkedHashMap<>();
      List<Map<String, Object>> bs = new ArrayList<>();
      for (Budget b : s.budgets()) {
        Map<String, Object> bm = new LinkedHashMap<>();
        bm.put("flops", b.budget());
        bm.put("runs", b.runs().size());
        bm.put("sizes", b.sizes().stream().map(z -> z.preset() + ":" + z.nEff()).toList());
        // per size: the loss, or its mean over seeds (the value the parabola is fitted to)
        bm.put("val_losses", b.sizes().stream().map(SizeStats::mean).toList());
        if (b.replicated()) {
          bm.put(
              "seeds", b.sizes().stream().filter(z -> z.n() >= 2).map(SizeStats::toJson).toList());
        }
        bm.put("fit_sizes", b.fitted().stream().map(SizeStats::preset).toList());
        bm.put("n_opt", nullIfNaN(b.nOpt()));
        bm.put("l_opt", nullIfNaN(b.lOpt()));
        bm.put("parabola_r2", b.parabola() == null ? null : nullIfNaN(b.parabola().r2()));
        bm.put("note", b.note());
        bs.add(bm);
      }
      m.put("family", s.family());
      m.put("budgets", bs);
      if (s.nOptLaw() != null) {
        PowerLaw p = s.nOptLaw();
        m.put(
            "n_opt_law",
            map(
                "formula", "N_opt = k * C^a",
                "a", p.a(),
                "k", p.k(),
                "a_ci95", ci(new double[] {p.aLow(), p.aHigh()}),
                "r2", p.r2(),
                "points", p.points()));
      }
      if (s.lOptLaw() != null) {
        SaturatingPowerLaw l = s.lOptLaw();
        m.put(
            "l_opt_law",
            map(
                "formula", "L_opt = E + A * C^(-b)",
                "E", l.e(),
                "A", l.a(),
                "b", l.b(),
                "E_at_bound", l.eAtBound(),
                "E_ci95", ci(l.eCi()),
                "A_ci95", ci(l.aCi()),
                "b_ci95", ci(l.bCi()),
                "r2", l.r2(),
                "points", l.points()));
      } else if (s.lOptPowerLaw() != null) {
        PowerLaw p = s.lOptPowerLaw();
        m.put(
            "l_opt_law",
            map(
                "formula", "L_opt = k * C^a (too few budgets for E + A*C^-b)",
                "a", p.a(),
                "k", p.k(),
                "a_ci95", ci(new double[] {p.aLow(), p.aHigh()}),
                "r2", p.r2(),
                "points", p.points()));
      }
      m.put("note", s.note());
      out.put(s.group(), m);
    }
    return out;
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      m.put((String) kv[i], v instanceof Double d ? nullIfNaN(d) : v);
    }
    return m;
  }

  /** A 95% interval as a JSON pair; an undefined end (too few points) becomes null. */
  private static List<Double> ci(double[] c) {
    return java.util.Arrays.asList(nullIfNaN(c[0]), nullIfNaN(c[1]));
  }

  static Double nullIfNaN(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElse(Double.NaN);
  }
}
