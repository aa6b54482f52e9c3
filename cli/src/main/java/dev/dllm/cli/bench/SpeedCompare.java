package dev.dllm.cli.bench;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.bench.SpeedComparison;
import dev.dllm.api.bench.SpeedComparison.Model;
import dev.dllm.api.bench.SpeedComparison.Ratio;
import dev.dllm.api.bench.SpeedComparison.Variant;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.sample.StepSplit;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.cli.bench.SamplerTiming.Measured;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitInit;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The family-agnostic speed comparison behind {@code dllm bench-sample --sections <name>}: the
 * {@link SpeedComparison#variants()} of a {@link SpeedComparison} (contributed by a family, or
 * built from {@code --variant} options) timed side by side with {@link SamplerTiming}: one row per
 * T (exports) or per L at T = L (random weights) with tokens/s, mean sample entropy (spec §6.3,
 * nats), NFE and the {@link SpeedComparison#ratios()}; for the first variant whose family has a
 * {@link StepSplit} probe its step split in ms per step (network / update / other), and per probe
 * the largest update share over its variants against the probe's bar.
 *
 * <p>Report: {@code section}, the models ({@code <role>_model}, {@code <role>_shape}) or {@code
 * preset}, settings, the {@link SpeedComparison#notes()}, {@code variants}, the rows ({@link
 * SpeedComparison#rowsKey()}) and per probe {@code <part>_share_max} (+ {@code <part>_bar}, {@code
 * <part>_under_bar}).
 */
final class SpeedCompare {
  private final SpeedComparison c;
  private final int batch;
  private final int runs;
  private final long seed;
  private final PrintStream out;
  private final Map<String, Double> worst = new LinkedHashMap<>(); // probe part -> max share
  private final Map<String, StepSplit> probes = new LinkedHashMap<>(); // part -> probe
  private String splitVariant; // the variant whose split the table prints

  SpeedCompare(SpeedComparison c, int batch, int runs, long seed, PrintStream out) {
    this.c = c;
    this.batch = batch;
    this.runs = runs;
    this.seed = seed;
    this.out = out;
  }

  /**
   * Times every variant at each T on the given exports (opened by the caller, one per role).
   *
   * @return the report
   */
  Map<String, Object> onExports(Map<String, OnnxModel> models, int[] steps, int length) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("section", c.name());
    for (Model m : c.models()) {
      report.put(m.role() + "_model", models.get(m.role()).directory().toString());
    }
    for (Model m : c.models()) {
      report.put(
          m.role() + "_shape", ExportMetadata.modelMap(models.get(m.role()).metadata().model()));
    }
    report.put("batch", batch);
    report.put("length", length);
    report.put("runs", runs);
    report.put("seed", seed);
    report.putAll(c.notes());
    report.put("provider", models.get(c.models().get(0).role()).provider());
    report.put("variants", variants(models));
    int minSteps = Arrays.stream(steps).min().orElse(1);
    if (c.warmUp()) {
      for (Model m : c.models()) { // untimed (JIT, ORT arenas), with the model's first variant
        Variant v = c.variants().stream().filter(x -> x.model().equals(m.role())).findFirst().get();
        SamplerTiming.measure(
            models.get(m.role()), minSteps, v.options(), batch, length, 1, seed, "u");
      }
    }
    header(String.format("%s, B=%d, L=%d, %d run(s)", c.title(), batch, length, runs), "T", models);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int t : steps) {
      Map<String, Measured> measured = new LinkedHashMap<>();
      for (Variant v : c.variants()) {
        OnnxModel m = models.get(v.model());
        measured.put(v.label(), time(m, v, t, length));
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("steps", t);
      rows.add(row(row, measured, t));
    }
    report.put(c.rowsKey(), rows);
    probes(report);
    return report;
  }

  /**
   * Random DiTs of each model's family at {@code preset}, exported at each length and timed at T =
   * L, one model open at a time.
   *
   * @return the report
   */
  Map<String, Object> onRandomWeights(
      String preset, Tokenizer tok, int[] lengths, OrtConfig ort, Path tmp) {
    FamilyRegistry registry = FamilyRegistry.load();
    Map<String, DiffusionFamily> families = new LinkedHashMap<>();
    for (Model m : c.models()) {
      families.put(m.role(), registry.get(m.family())); // unknown: the registry's message
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("section", c.name());
    report.put("preset", preset);
    report.put("batch", batch);
    report.put("runs", runs);
    report.put("seed", seed);
    report.putAll(c.notes());
    report.put("variants", variants(Map.of()));
    for (Model m : c.models()) {
      families.get(m.role()).stepSplit().ifPresent(p -> probes.putIfAbsent(p.part(), p));
    }
    header(String.format("%s, B=%d, T = L, %d run(s)", c.title(), batch, runs), "L", Map.of());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int length : lengths) {
      Map<String, Measured> byLabel = new LinkedHashMap<>();
      for (Model m : c.models()) {
        Path dir = tmp.resolve(m.role() + "-" + length);
        try (OnnxModel model = export(families.get(m.role()), preset, tok, length, dir, ort)) {
          for (Variant v : c.variants()) {
            if (v.model().equals(m.role())) {
              byLabel.put(v.label(), time(model, v, length, length));
            }
          }
        }
      }
      Map<String, Measured> measured = new LinkedHashMap<>();
      c.variants().forEach(v -> measured.put(v.label(), byLabel.get(v.label())));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("length", length);
      row.put("batch", batch);
      row.put("steps", length);
      rows.add(row(row, measured, length));
    }
    report.put(c.rowsKey(), rows);
    probes(report);
    return report;
  }

  private Measured time(OnnxModel m, Variant v, int steps, int length) {
    Optional<StepSplit> probe = m.family().stepSplit();
    probe.ifPresent(p -> probes.putIfAbsent(p.part(), p));
    String part = probe.map(StepSplit::part).orElse("update");
    Measured r = SamplerTiming.measure(m, steps, v.options(), batch, length, runs, seed, part);
    if (probe.isPresent()) {
      worst.merge(part, r.updateShare(), Math::max);
      if (splitVariant == null && r.split()) {
        splitVariant = v.label();
      }
    }
    return r;
  }

  private List<Map<String, Object>> variants(Map<String, OnnxModel> models) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Variant v : c.variants()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("label", v.label());
      m.put("model", v.model());
      m.put(
          "family",
          models.containsKey(v.model())
              ? models.get(v.model()).family().name()
              : c.models().stream()
                  .filter(x -> x.role().equals(v.model()))
                  .findFirst()
                  .get()
                  .family());
      m.put("options", new java.util.TreeMap<>(v.options()));
      list.add(m);
    }
    return list;
  }

  /** The table's header: the title, then the column titles. */
  private void header(String title, String first, Map<String, OnnxModel> models) {
    StringBuilder h = new StringBuilder(String.format("%5s", first));
    for (Variant v : c.variants()) {
      h.append(String.format(" | %-18s", v.title()));
    }
    for (Ratio r : c.ratios()) {
      h.append(String.format(" | %" + width(r) + "s", r.key()));
    }
    Optional<StepSplit> p = firstProbe(models);
    p.ifPresent(
        s ->
            h.append(
                String.format(
                    " | %s step: network / %s / other ms (%s %%)", s.label(), s.part(), s.part())));
    out.printf("%s: tokens/s (entropy, nats)%n%s%n", title, h);
  }

  /** The probe of the first variant's family that has one (exports: known before timing). */
  private Optional<StepSplit> firstProbe(Map<String, OnnxModel> models) {
    for (Variant v : c.variants()) {
      OnnxModel m = models.get(v.model());
      Optional<StepSplit> p =
          m != null
              ? m.family().stepSplit()
              : Optional.ofNullable(probes.isEmpty() ? null : probes.values().iterator().next());
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  private static int width(Ratio r) {
    return Math.max(8, r.key().length());
  }

  /** Fills and prints one row: the variants' numbers, the ratios, the split. */
  private Map<String, Object> row(Map<String, Object> row, Map<String, Measured> m, int first) {
    StringBuilder line = new StringBuilder(String.format("%5d", first));
    for (Variant v : c.variants()) {
      Measured r = m.get(v.label());
      row.put(v.label(), r.toMap());
      line.append(String.format(" | %10.0f (%5.3f)", r.tokensPerSecond(), r.entropy()));
    }
    for (Ratio r : c.ratios()) {
      double x = m.get(r.faster()).tokensPerSecond() / m.get(r.slower()).tokensPerSecond();
      row.put(r.key(), x);
      line.append(String.format(" | %" + (width(r) - 1) + ".2fx", x));
    }
    if (splitVariant != null) {
      Measured s = m.get(splitVariant);
      line.append(
          String.format(
              " | %.2f / %.2f / %.2f of %.2f ms (%.1f%%)",
              s.ms(s.networkNanos()),
              s.ms(s.updateNanos()),
              s.ms(s.otherNanos()),
              s.ms(s.stepNanos()),
              100 * s.updateShare()));
    }
    out.println(line);
    return row;
  }

  /** Per probe: the largest update share, its bar and whether it stayed under; one line each. */
  private void probes(Map<String, Object> report) {
    for (Map.Entry<String, Double> e : worst.entrySet()) {
      StepSplit p = probes.get(e.getKey());
      double w = e.getValue();
      report.put(p.part() + "_share_max", w);
      if (p.hasBar()) {
        report.put(p.part() + "_bar", p.bar());
        report.put(p.part() + "_under_bar", w < p.bar());
        out.printf(
            "%s %s: at most %.1f%% of a step (bar %.0f%%): %s%n",
            p.label(), p.part(), 100 * w, 100 * p.bar(), w < p.bar() ? "ok" : "OVER");
      } else {
        out.printf("%s %s: at most %.1f%% of a step%n", p.label(), p.part(), 100 * w);
      }
    }
  }

  /** A random DiT (seed 1, scale 0.1) of {@code family}'s backbone at {@code preset}, exported. */
  static OnnxModel export(
      DiffusionFamily family, String preset, Tokenizer tok, int length, Path dir, OrtConfig ort) {
    DitConfig cfg = DitPresets.preset(preset, tok.vocabSize(), family.backbone().attention());
    DitWeights w = DitInit.random(cfg, 1, 0.1);
    Map<String, String> familyMetadata = new LinkedHashMap<>(family.exportMetadata());
    familyMetadata.remove("family");
    return SampleRuns.export(w, family.name(), tok, length, dir, ort, familyMetadata);
  }
}
