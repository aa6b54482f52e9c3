package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code orderings_agree} of the demo's downstream report: the orderings by val loss and by strict
 * accuracy disagree only when some family has a strictly lower val loss and a strictly lower
 * accuracy than another. Tied accuracies (for example every family at 0% in a {@code --quick} demo)
 * say nothing about the order, so the sort order of ties (the runs' order) must not decide.
 */
class DemoDownstreamOrderingTest {
  private static Map<String, Object> row(String family, double valLoss, double strict) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("family", family);
    r.put("val_loss", valLoss);
    r.put("strict", Map.of("accuracy", strict));
    return r;
  }

  @Test
  void tiedAccuraciesDoNotContradictTheValLossOrder() {
    // runs in the demo's order (ar, mdlm, duo, esolm); val loss orders them ar, esolm, mdlm, duo
    List<Map<String, Object>> rows =
        List.of(
            row("ar", 0.61, 0), row("mdlm", 1.37, 0), row("duo", 1.77, 0), row("esolm", 1.36, 0));
    assertTrue(DemoDownstreamReport.orderingsAgree(rows));
  }

  @Test
  void aLowerLossWithALowerAccuracyIsADisagreement() {
    List<Map<String, Object>> rows =
        List.of(row("ar", 0.61, 0.5), row("mdlm", 1.37, 0.6), row("duo", 1.77, 0.1));
    assertFalse(DemoDownstreamReport.orderingsAgree(rows));
  }

  @Test
  void theSameOrderWithSomeTiesAgrees() {
    List<Map<String, Object>> rows =
        List.of(
            row("ar", 0.61, 0.76),
            row("mdlm", 1.37, 0.065),
            row("esolm", 1.36, 0.19),
            row("duo", 1.77, 0.065));
    assertTrue(DemoDownstreamReport.orderingsAgree(rows));
  }
}
