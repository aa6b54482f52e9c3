package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.scaling.SyntheticStudy.Law;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The RQ4 table against laws known in closed form ({@link SyntheticStudy}). */
class Rq4TableTest {
  private static final Law AR = new Law("ar", "ce", 1.0, 50, 0.15, 0.08, 0.45);
  private static final Law DUO = new Law("duo", "elbo", 1.3, 70, 0.14, 0.04, 0.5);
  private static final Law MDLM = new Law("mdlm", "low_var", 1.2, 62.6, 0.15, 0.05, 0.5);
  // E above MDLM's L* at 3e12 (2.04): no budget reaches the reference loss
  private static final Law ESOLM = new Law("esolm", "low_var", 2.1, 40, 0.12, 0.05, 0.55);

  private static List<ScalingStudy.Series> study(Law... laws) {
    List<RunRecord> runs = new ArrayList<>();
    for (Law l : laws) {
      runs.addAll(SyntheticStudy.runs(l, 1));
    }
    return ScalingStudy.analyze(runs);
  }

  private static Rq4Table.Row row(Rq4Table t, String group) {
    return t.rows().stream().filter(r -> r.group().equals(group)).findFirst().orElseThrow();
  }

  @Test
  void fittedLawsAndMultipliersMatchTheClosedForm() {
    Rq4Table t = Rq4Table.of(study(AR, DUO, ESOLM, MDLM), null);
    assertEquals("mdlm/low_var", t.reference());
    assertEquals(3e12, t.cRef());
    assertEquals(MDLM.lStar(3e12), t.lRef(), 1e-6);
    assertEquals(
        List.of("ar/ce", "duo/elbo", "esolm/low_var", "mdlm/low_var"),
        t.rows().stream().map(Rq4Table.Row::group).toList());
    for (Law l : List.of(AR, DUO, ESOLM, MDLM)) {
      Rq4Table.Row r = row(t, l.family() + "/" + l.objective());
      assertEquals(l.a(), r.a(), 1e-6, r.group());
      assertEquals(l.b(), r.b(), 1e-4, r.group());
      assertEquals(l.e(), r.e(), 1e-4, r.group());
      assertEquals(l.bigA(), r.bigA(), 1e-3 * l.bigA(), r.group());
      assertEquals(1, r.r2N(), 1e-9);
      assertEquals(1, r.r2L(), 1e-9);
      assertEquals("E + A*C^-b", r.lawForm());
    }
    double lRef = MDLM.lStar(3e12);
    assertEquals(1, row(t, "mdlm/low_var").multiplier(), 1e-9);
    Rq4Table.Row ar = row(t, "ar/ce");
    assertEquals(AR.flopsFor(lRef) / 3e12, ar.multiplier(), 1e-3 * ar.multiplier());
    assertTrue(ar.multiplier() < 1 && !ar.extrapolated(), "AR reaches it inside its budgets");
    Rq4Table.Row duo = row(t, "duo/elbo");
    assertEquals(DUO.flopsFor(lRef) / 3e12, duo.multiplier(), 1e-3 * duo.multiplier());
    assertTrue(duo.multiplier() > 1 && duo.extrapolated(), "Duo needs more than its largest C");
    Rq4Table.Row eso = row(t, "esolm/low_var");
    assertTrue(Double.isNaN(eso.multiplier()));
    assertEquals(Rq4Table.BEYOND, eso.multiplierNote());

    String md = t.markdown();
    assertTrue(md.contains("| esolm | low_var |") && md.contains(Rq4Table.BEYOND + " |"), md);
    assertTrue(md.contains("| mdlm | low_var | 0.500 ["), md);
    assertTrue(md.contains(" | 1.00 |\n"), md);
    assertTrue(md.contains(String.format(java.util.Locale.ROOT, "L_ref = %.4f", lRef)), md);
  }

  @Test
  void anotherReferenceMovesTheTarget() {
    Rq4Table t = Rq4Table.of(study(AR, MDLM), "ar/ce");
    double lRef = AR.lStar(3e12);
    assertEquals(lRef, t.lRef(), 1e-6);
    Rq4Table.Row m = row(t, "mdlm/low_var");
    assertEquals(MDLM.flopsFor(lRef) / 3e12, m.multiplier(), 1e-3 * m.multiplier());
    assertEquals(1, row(t, "ar/ce").multiplier(), 1e-9);
  }

  @Test
  void aMissingReferenceIsNamedOrNoted() {
    List<ScalingStudy.Series> s = study(AR, DUO);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Rq4Table.of(s, "mdlm/elbo"));
    assertEquals(
        "--reference mdlm/elbo: no such series (expected one of [ar/ce, duo/elbo])",
        e.getMessage());
    Rq4Table t = Rq4Table.of(s, null);
    assertNull(t.reference());
    assertTrue(t.note().contains("mdlm/low_var is not in the runs"), t.note());
    assertEquals("no reference", t.rows().get(0).multiplierNote());
    assertFalse(Double.isFinite(t.rows().get(0).multiplier()));
    @SuppressWarnings("unchecked")
    List<java.util.Map<String, Object>> rows =
        (List<java.util.Map<String, Object>>) t.toJson().get("rows");
    assertNull(rows.get(0).get("flops_multiplier"));
    assertEquals("no reference", rows.get(0).get("multiplier_note"));
  }
}
