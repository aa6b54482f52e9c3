package dev.dllm.eval.scaling;

import dev.dllm.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's RQ4 table at laptop scale: one row per series ({@code family/objective}) with the
 * exponent a of N_opt ∝ C^a, the law L_opt = E + A·C^−b (95% intervals from {@link PowerLaw} and
 * {@link SaturatingPowerLaw}), the R² of both laws, and the FLOPs multiplier the series needs to
 * match the reference series' loss.
 *
 * <p>Reference: the series named by {@code --reference F/O}, else {@code mdlm/low_var} when the
 * runs have it. C_ref is the largest budget at which the reference has a measured (interior)
 * optimum and L_ref its fitted L_opt there (so the reference's own multiplier is 1). A series'
 * multiplier is C_series(L_ref) / C_ref with C_series the inverse of its fitted L_opt law, C =
 * C_ref' · (A_ref' / (L − E))^(1/b) ({@link SaturatingPowerLaw#flopsFor}); where L_ref ≤ E of the
 * series no budget reaches it ("beyond the law's range"). A multiplier from a C_series outside the
 * budgets where the series has an optimum is an extrapolation of its law and is marked so.
 *
 * @param reference the reference series, or null when there is none
 * @param cRef C_ref (FLOPs), NaN without a reference
 * @param lRef L_ref (nats/token), NaN without a reference
 * @param rows one per series, in name order
 * @param note why there is no reference, or null
 */
public record Rq4Table(String reference, double cRef, double lRef, List<Row> rows, String note) {

  /** The default reference series. */
  public static final String DEFAULT_REFERENCE = "mdlm/low_var";

  /** The note of a multiplier when L_ref lies below the series' loss floor E. */
  public static final String BEYOND = "beyond the law's range (L_ref below its E)";

  /**
   * One series.
   *
   * @param group {@code family/objective}
   * @param a exponent of N_opt ∝ C^a (NaN without the law); {@code aCi} its 95% interval
   * @param b exponent of L_opt = E + A·C^−b (for the pure power law k·C^−b: −its exponent)
   * @param e E (nats/token; 0 for the pure power law or a fit with E at its bound)
   * @param bigA A (the constant k for the pure power law)
   * @param r2N R² of N_opt ∝ C^a; {@code r2L} of the L_opt law
   * @param lawForm {@code "E + A*C^-b"}, {@code "E + A*C^-b (E at bound 0)"}, {@code "A*C^-b (pure
   *     power law)"} or null without an L_opt law
   * @param multiplier C_series(L_ref) / C_ref, NaN where undefined ({@code multiplierNote} says
   *     why)
   * @param extrapolated whether C_series(L_ref) lies outside the budgets with an optimum
   */
  public record Row(
      String group,
      String family,
      String objective,
      double a,
      double[] aCi,
      double b,
      double[] bCi,
      double e,
      double[] eCi,
      double bigA,
      double[] bigACi,
      double r2N,
      double r2L,
      String lawForm,
      double multiplier,
      String multiplierNote,
      boolean extrapolated) {}

  private static final double[] NONE = {Double.NaN, Double.NaN};

  /**
   * The table of {@code series}.
   *
   * @param reference {@code family/objective}, or null for {@link #DEFAULT_REFERENCE} if present
   * @throws InvalidInputException when {@code reference} is given and names no series, or a series
   *     without a fitted L_opt law
   */
  public static Rq4Table of(List<ScalingStudy.Series> series, String reference) {
    ScalingStudy.Series ref = null;
    String note = null;
    List<String> groups = series.stream().map(ScalingStudy.Series::group).toList();
    if (reference != null) {
      ref = series.stream().filter(s -> s.group().equals(reference)).findFirst().orElse(null);
      if (ref == null) {
        throw new InvalidInputException(
            "--reference " + reference + ": no such series (expected one of " + groups + ")");
      }
      if (!hasLaw(ref)) {
        throw new InvalidInputException(
            "--reference "
                + reference
                + ": the series has no L_opt law ("
                + ScalingStudy.NO_LAW
                + "); choose another of "
                + groups);
      }
    } else {
      ref =
          series.stream()
              .filter(s -> s.group().equals(DEFAULT_REFERENCE) && hasLaw(s))
              .findFirst()
              .orElse(null);
      if (ref == null) {
        note =
            "no reference series: "
                + DEFAULT_REFERENCE
                + (groups.contains(DEFAULT_REFERENCE) ? " has no L_opt law" : " is not in the runs")
                + " (choose one with --reference F/O)";
      }
    }
    double cRef = Double.NaN;
    double lRef = Double.NaN;
    if (ref != null) {
      cRef = budgetRange(ref)[1];
      lRef = ref.lossAt(cRef);
    }
    List<Row> rows = new ArrayList<>();
    for (ScalingStudy.Series s : series) {
      rows.add(row(s, ref == null ? null : lRef, cRef));
    }
    return new Rq4Table(ref == null ? null : ref.group(), cRef, lRef, rows, note);
  }

  private static boolean hasLaw(ScalingStudy.Series s) {
    return s.lOptLaw() != null || s.lOptPowerLaw() != null;
  }

  /** {min, max} of the budgets where {@code s} has a measured optimum (NaN when none). */
  private static double[] budgetRange(ScalingStudy.Series s) {
    double[] c =
        s.budgets().stream()
            .filter(ScalingStudy.Budget::usable)
            .mapToDouble(ScalingStudy.Budget::budget)
            .toArray();
    return new double[] {
      Arrays.stream(c).min().orElse(Double.NaN), Arrays.stream(c).max().orElse(Double.NaN)
    };
  }

  private static Row row(ScalingStudy.Series s, Double lRef, double cRef) {
    String objective = s.group().substring(s.group().indexOf('/') + 1);
    PowerLaw n = s.nOptLaw();
    double a = n == null ? Double.NaN : n.a();
    double[] aCi = n == null ? NONE : new double[] {n.aLow(), n.aHigh()};
    double r2N = n == null ? Double.NaN : n.r2();
    double b = Double.NaN;
    double e = Double.NaN;
    double bigA = Double.NaN;
    double[] bCi = NONE;
    double[] eCi = NONE;
    double[] bigACi = NONE;
    double r2L = Double.NaN;
    String form = null;
    if (s.lOptLaw() != null) {
      SaturatingPowerLaw l = s.lOptLaw();
      b = l.b();
      e = l.e();
      bigA = l.a();
      bCi = l.bCi();
      eCi = l.eCi();
      bigACi = l.aCi();
      r2L = l.r2();
      form = l.eAtBound() ? "E + A*C^-b (E at bound 0)" : "E + A*C^-b";
    } else if (s.lOptPowerLaw() != null) {
      PowerLaw p = s.lOptPowerLaw();
      b = -p.a();
      e = 0;
      bigA = p.k();
      bCi = new double[] {-p.aHigh(), -p.aLow()};
      r2L = p.r2();
      form = "A*C^-b (pure power law)";
    }
    double mult = Double.NaN;
    String multNote = null;
    boolean extrapolated = false;
    if (lRef == null) {
      multNote = "no reference";
    } else if (form == null) {
      multNote = "no L_opt law";
    } else if (s.lOptLaw() != null && lRef <= s.lOptLaw().e()) {
      multNote = BEYOND;
    } else {
      double c = s.flopsFor(lRef);
      if (Double.isFinite(c) && c > 0) {
        mult = c / cRef;
        double[] range = budgetRange(s);
        extrapolated = c < range[0] * (1 - 1e-9) || c > range[1] * (1 + 1e-9);
        multNote = extrapolated ? "extrapolated beyond the budgets with an optimum" : null;
      } else {
        multNote = "beyond the law's range (its L_opt does not decrease to L_ref)";
      }
    }
    return new Row(
        s.group(),
        s.family(),
        objective,
        a,
        aCi,
        b,
        bCi,
        e,
        eCi,
        bigA,
        bigACi,
        r2N,
        r2L,
        form,
        mult,
        multNote,
        extrapolated);
  }

  /** The {@code rq4_table} object of {@code fit-report.json}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("reference", reference);
    m.put("c_ref", ScalingStudy.nullIfNaN(cRef));
    m.put("l_ref", ScalingStudy.nullIfNaN(lRef));
    m.put(
        "multiplier",
        "FLOPs the series' fitted L_opt law needs to reach l_ref, over c_ref (the reference's"
            + " largest budget with a measured optimum; l_ref its fitted L_opt there)");
    m.put("note", note);
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Row r : rows) {
      rs.add(
          ScalingStudy.map(
              "series", r.group(),
              "family", r.family(),
              "objective", r.objective(),
              "a", r.a(),
              "a_ci95", ci(r.aCi()),
              "b", r.b(),
              "b_ci95", ci(r.bCi()),
              "E", r.e(),
              "E_ci95", ci(r.eCi()),
              "A", r.bigA(),
              "A_ci95", ci(r.bigACi()),
              "r2_n_opt", r.r2N(),
              "r2_l_opt", r.r2L(),
              "l_opt_law", r.lawForm(),
              "flops_multiplier", r.multiplier(),
              "multiplier_note", r.multiplierNote()));
    }
    m.put("rows", rs);
    return m;
  }

  private static List<Double> ci(double[] c) {
    return Arrays.asList(ScalingStudy.nullIfNaN(c[0]), ScalingStudy.nullIfNaN(c[1]));
  }

  /** The table as Markdown ({@code rq4-table.md}; the console prints it too). */
  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# RQ4: compute-optimal scaling per family and objective\n\n");
    sb.append("N_opt ∝ C^a and L_opt = E + A·C^−b (C in FLOPs, L in nats/token), fitted to the")
        .append(" IsoFLOP optima; [low, high]: 95% intervals (`-`: too few budgets).\n");
    if (reference != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "FLOPs ×: the series' L_opt law inverted at L_ref = %.4f nats/token, the fitted L_opt"
                  + " of the reference %s at C_ref = %.3g FLOPs (its largest budget with an"
                  + " optimum), over C_ref.%n",
              lRef,
              reference,
              cRef));
    } else {
      sb.append("FLOPs ×: ").append(note).append(".\n");
    }
    sb.append("\n| family | objective | a [95% CI] | b [95% CI] | E [95% CI] | A [95% CI]")
        .append(" | R² N_opt | R² L_opt | FLOPs × |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|\n");
    List<String> notes = new ArrayList<>();
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
              r.family(),
              r.objective(),
              withCi(r.a(), r.aCi(), "%.3f"),
              withCi(r.b(), r.bCi(), "%.3f"),
              withCi(r.e(), r.eCi(), "%.3f"),
              withCi(r.bigA(), r.bigACi(), "%.3g"),
              fmt(r.r2N(), "%.3f"),
              fmt(r.r2L(), "%.3f"),
              Double.isFinite(r.multiplier())
                  ? fmt(r.multiplier(), "%.3g") + (r.extrapolated() ? " (extrapolated)" : "")
                  : r.multiplierNote() == null ? "-" : r.multiplierNote()));
      if (r.lawForm() != null && !r.lawForm().equals("E + A*C^-b")) {
        notes.add(r.group() + ": L_opt = " + r.lawForm());
      }
    }
    if (!notes.isEmpty()) {
      sb.append('\n');
      for (String n : notes) {
        sb.append("- ").append(n).append('\n');
      }
    }
    return sb.toString();
  }

  private static String withCi(double v, double[] ci, String f) {
    if (!Double.isFinite(v)) {
      return "-";
    }
    return fmt(v, f) + " [" + fmt(ci[0], f) + ", " + fmt(ci[1], f) + "]";
  }

  private static String fmt(double v, String f) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, f, v) : "-";
  }
}
