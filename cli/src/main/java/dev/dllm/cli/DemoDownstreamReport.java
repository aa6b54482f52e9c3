package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.task.TaskChart;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The downstream stage's results ({@link DemoDownstream}): builds its report from each run's {@code
 * train-report.json} and {@code task-eval-report.json} (val loss, strict and flexible accuracy with
 * 95% Wilson intervals, tokens/s, NFE, the orderings), prints the table and draws the bar chart
 * ({@value DemoDownstream#CHART}).
 */
final class DemoDownstreamReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final DemoDownstreamLayout layout;
  private final DemoOptions o;
  private final DemoDownstream.Knobs k;
  private final String[][] runs;
  private final PrintStream out;

  DemoDownstreamReport(
      DemoDownstreamLayout layout,
      DemoOptions o,
      DemoDownstream.Knobs k,
      String[][] runs,
      PrintStream out) {
    this.dir = layout.dir();
    this.layout = layout;
    this.o = o;
    this.k = k;
    this.runs = runs;
    this.out = out;
  }

  /** The stage's report: knobs, task, majority baseline, one row per run and the orderings. */
  Map<String, Object> report(JsonNode taskJson, double seconds) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String[] run : runs) {
      JsonNode tr =
          JSON.readTree(layout.runDir(run).resolve("sft").resolve("train-report.json").toFile());
      JsonNode te = JSON.readTree(layout.evalReport(run).toFile());
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("family", run[0]);
      row.put("objective", run[1]);
      row.put("val_loss", tr.path("val_nll").asDouble());
      row.put("val_loss_kind", DemoEval.valLossKind(run[0]));
      row.put("train_steps", tr.path("steps").asLong());
      row.put("train_flops", tr.path("flops").asDouble());
      row.put("train_seconds", tr.path("seconds").asDouble());
      for (String kind : List.of("strict", "flexible")) {
        JsonNode a = te.path("accuracy").path(kind);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", a.path("accuracy").asDouble());
        m.put("correct", a.path("correct").asInt());
        m.put("n", a.path("n").asInt());
        m.put("ci95_low", a.path("ci95_low").asDouble());
        m.put("ci95_high", a.path("ci95_high").asDouble());
        row.put(kind, m);
      }
      row.put("tokens_per_second", te.path("throughput").path("tokens_per_second").asDouble());
      row.put("nfe", te.path("throughput").path("nfe_mean").asDouble());
      row.put("eval_seconds", te.path("throughput").path("seconds").asDouble());
      row.put("task_eval", dir.relativize(layout.evalReport(run)).toString());
      rows.add(row);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put(
        "what",
        "each recipe trained from a fresh init in SFT form (prompt given; loss on the response"
            + " and its EOS padding) on the task's train split at equal FLOPs, evaluated on the"
            + " whole test split with task-eval (zero-shot 'Question: q\\nAnswer:', seed 0)");
    r.put("knobs", k.toMap());
    r.put("task", dir.relativize(layout.task()).toString());
    r.put(
        "majority_baseline", JSON.convertValue(taskJson.path("test_majority_baseline"), Map.class));
    r.put("rows", rows);
    r.put(
        "val_loss_definition",
        "held-out pairs' response (and EOS padding) given the prompt, per free token: AR exact"
            + " NLL, the others NELBO upper bounds (nats/token)");
    r.put(
        "val_loss_ordering",
        order(rows, Comparator.comparingDouble(DemoDownstreamReport::valLoss)));
    r.put(
        "strict_accuracy_ordering",
        order(rows, Comparator.comparingDouble((Map<String, Object> m) -> -acc(m, "strict"))));
    r.put(
        "flexible_accuracy_ordering",
        order(rows, Comparator.comparingDouble((Map<String, Object> m) -> -acc(m, "flexible"))));
    r.put("orderings_agree", orderingsAgree(rows));
    r.put("stage_seconds_this_run", seconds);
    r.put("threads", o.get("threads"));
    return r;
  }

  /**
   * Whether the val-loss and strict-accuracy orderings agree: no family has both a strictly lower
   * val loss and a strictly lower accuracy than another (ties in either order agree with anything,
   * so equal accuracies, e.g. all 0, never count as a disagreement).
   */
  static boolean orderingsAgree(List<Map<String, Object>> rows) {
    for (Map<String, Object> a : rows) {
      for (Map<String, Object> b : rows) {
        if (valLoss(a) < valLoss(b) && acc(a, "strict") < acc(b, "strict")) {
          return false;
        }
      }
    }
    return true;
  }

  private static double valLoss(Map<String, Object> m) {
    return toDouble(m.get("val_loss"));
  }

  @SuppressWarnings("unchecked")
  private static double acc(Map<String, Object> row, String kind) {
    return toDouble(((Map<String, Object>) row.get(kind)).get("accuracy"));
  }

  @SuppressWarnings("unchecked")
  private static double ci(Map<String, Object> row, String kind, String bound) {
    return toDouble(((Map<String, Object>) row.get(kind)).get(bound));
  }

  private static List<String> order(
      List<Map<String, Object>> rows, Comparator<Map<String, Object>> c) {
    return rows.stream().sorted(c).map(m -> (String) m.get("family")).toList();
  }

  /** Prints the report's table (one row per run, then the baseline). */
  @SuppressWarnings("unchecked")
  void print(Map<String, Object> r) {
    out.println();
    out.printf(
        Locale.ROOT,
        "   %-6s %-8s %9s  %-22s  %-22s %9s %7s%n",
        "family",
        "objective",
        "val loss",
        "strict acc [95% CI]",
        "flexible acc [95% CI]",
        "tokens/s",
        "NFE");
    for (Map<String, Object> row : (List<Map<String, Object>>) r.get("rows")) {
      out.printf(
          Locale.ROOT,
          "   %-6s %-8s %9.4f  %-22s  %-22s %9.1f %7.1f%n",
          row.get("family"),
          row.get("objective"),
          valLoss(row),
          cell(row, "strict"),
          cell(row, "flexible"),
          toDouble(row.get("tokens_per_second")),
          toDouble(row.get("nfe")));
    }
    Map<String, Object> b = (Map<String, Object>) r.get("majority_baseline");
    out.printf(
        Locale.ROOT,
        "   %-6s %-8s %9s  %-22s  %-22s%n",
        "base",
        "majority",
        "-",
        String.format(
            Locale.ROOT, "%.3f (always %s)", toDouble(b.get("accuracy")), b.get("answer")),
        "");
    out.printf(
        Locale.ROOT,
        "   (val loss: response given prompt, AR exact NLL, the others NELBO bounds, nats/token;"
            + " accuracy: lm-eval gsm8k strict '#### n' and flexible last number, 95%% Wilson;"
            + " tokens/s: batch 8, %s threads; ordering by val loss %s, by strict accuracy %s)%n",
        o.get("threads"),
        r.get("val_loss_ordering"),
        r.get("strict_accuracy_ordering"));
  }

  private static double toDouble(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static String cell(Map<String, Object> row, String kind) {
    return String.format(
        Locale.ROOT,
        "%.3f [%.3f, %.3f]",
        acc(row, kind),
        ci(row, kind, "ci95_low"),
        ci(row, kind, "ci95_high"));
  }

  /** Draws the strict and flexible accuracies of every run ({@value DemoDownstream#CHART}). */
  @SuppressWarnings("unchecked")
  void writeChart(Map<String, Object> r) throws IOException {
    List<TaskChart.Bar> bars = new ArrayList<>();
    for (Map<String, Object> row : (List<Map<String, Object>>) r.get("rows")) {
      bars.add(
          new TaskChart.Bar(
              (String) row.get("family"),
              acc(row, "strict"),
              ci(row, "strict", "ci95_low"),
              ci(row, "strict", "ci95_high"),
              acc(row, "flexible"),
              ci(row, "flexible", "ci95_low"),
              ci(row, "flexible", "ci95_high")));
    }
    Map<String, Object> b = (Map<String, Object>) r.get("majority_baseline");
    String sub =
        String.format(
            Locale.ROOT,
            "laptop arithmetic task (K %d, M %d, %s), %d test items; %s FLOPs per family, %s, L %d",
            k.taskSteps(),
            k.maxNumber(),
            k.style(),
            k.testItems(),
            k.flops(),
            k.preset(),
            k.seqLen());
    EvalFiles.writePng(
        dir.resolve(DemoDownstream.CHART),
        TaskChart.chart(
            "Downstream task accuracy at equal FLOPs", sub, bars, toDouble(b.get("accuracy"))),
        TaskChart.WIDTH,
        TaskChart.HEIGHT);
  }
}
