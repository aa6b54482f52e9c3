package dev.dllm.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.bench.SpeedComparison;
import dev.dllm.api.bench.SpeedComparison.Model;
import dev.dllm.api.bench.SpeedComparison.Variant;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.cli.CliOptions;
import dev.dllm.cli.SampleOptions;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * The stand-alone sections of {@code dllm bench-sample}: the {@link SpeedComparison}s families
 * contribute through {@link ServiceLoader} (Duo's {@code duo}: Duo vs MDLM on two exports; Eso-LM's
 * {@code esolm}: KV cache, no cache, MDLM T = L on random weights) and {@code compare}, any exports
 * and sampler variants given as {@code --variant LABEL=DIR[,KEY=VALUE...]} (the first is the
 * baseline of the ratios). Each runs alone through {@link SpeedCompare}.
 */
final class SpeedComparisons {
  /** The section of {@code --variant} comparisons. */
  static final String COMPARE = "compare";

  private final Map<String, SpeedComparison> byName = new LinkedHashMap<>();

  /**
   * The comparisons visible to the thread context class loader, sorted by name.
   *
   * @throws IllegalStateException when two share a name, or one takes a built-in section's
   */
  SpeedComparisons(List<String> builtInSections) {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    List<SpeedComparison> found =
        ServiceLoader.load(
                SpeedComparison.class, cl != null ? cl : SpeedComparisons.class.getClassLoader())
            .stream()
            .map(ServiceLoader.Provider::get)
            .sorted(java.util.Comparator.comparing(SpeedComparison::name))
            .toList();
    for (SpeedComparison c : found) {
      if (builtInSections.contains(c.name())
          || c.name().equals(COMPARE)
          || byName.putIfAbsent(c.name(), c) != null) {
        throw new IllegalStateException(
            "the speed comparison '"
                + c.name()
                + "' of family "
                + c.family()
                + " ("
                + c.getClass().getName()
                + ") takes the name of another bench-sample section");
      }
    }
  }

  /** The stand-alone section names: {@code compare}, then the contributed ones. */
  List<String> names() {
    List<String> names = new java.util.ArrayList<>(List.of(COMPARE));
    names.addAll(byName.keySet());
    return names;
  }

  /** The options of every stand-alone section, added to {@code bench-sample}'s. */
  void addOptions(Options o) {
    String random =
        byName.values().stream()
            .filter(SpeedComparison::randomWeights)
            .map(SpeedComparison::name)
            .collect(Collectors.joining(", "));
    for (SpeedComparison c : byName.values()) {
      if (c.randomWeights()) {
        continue;
      }
      for (Model m : c.models()) {
        String name = m.role() + "-model";
        if (!o.hasLongOption(name)) {
          o.addOption(
              CliOptions.opt(
                  name, "DIR", "--sections " + c.name() + ": " + m.help() + " (required)"));
        }
      }
      o.addOption(
          CliOptions.opt(
              c.name() + "-steps",
              "LIST",
              "--sections " + c.name() + ": steps T (default " + list(c.defaultSteps()) + ")"));
    }
    o.addOption(
        org.apache.commons.cli.Option.builder()
            .longOpt("variant")
            .hasArgs()
            .argName("LABEL=DIR[,K=V]")
            .desc(
                "--sections compare: a sampler variant on an export, with sampler options"
                    + " (repeatable; the first is the ratios' baseline)")
            .get());
    o.addOption(
        CliOptions.opt("compare-steps", "LIST", "--sections compare: steps T (default 8,32,128)"));
    o.addOption(
        CliOptions.opt(
            "runs", "R", "--sections " + String.join(", ", names()) + ": timed runs per row"));
    o.addOption(CliOptions.opt("seed", "S", "seed of the first timed run (default 42)"));
    if (!random.isEmpty()) {
      o.addOption(
          CliOptions.opt(
              "lengths",
              "LIST",
              "--sections " + random + ": sequence lengths, T = L (default 256,1024)"));
    }
  }

  /** Runs section {@code name} and writes its report to {@code outFile}. */
  int command(String name, CommandLine cmd, PrintStream out, OrtConfig ort, Path outFile)
      throws Exception {
    SpeedComparison c = name.equals(COMPARE) ? VariantComparison.parse(cmd) : byName.get(name);
    int batch = CliOptions.intOpt(cmd, "batch", 8, 1);
    int runs = CliOptions.intOpt(cmd, "runs", c.defaultRuns(), 1);
    long seed = CliOptions.longOpt(cmd, "seed", 42L, Long.MIN_VALUE);
    SpeedCompare compare = new SpeedCompare(c, batch, runs, seed, out);
    Map<String, Object> report;
    if (c.randomWeights()) {
      int[] lengths = lengths(cmd.getOptionValue("lengths", list(c.defaultLengths())));
      Tokenizer tok = Tokenizers.create("byte", null);
      Path tmp = Files.createTempDirectory("dllm-bench-" + c.name());
      try {
        report =
            compare.onRandomWeights(cmd.getOptionValue("preset", "xs"), tok, lengths, ort, tmp);
      } finally {
        SampleRuns.deleteTree(tmp);
      }
    } else {
      String stepsOption = c.name() + "-steps";
      int[] steps =
          RuntimeBench.intList(
              cmd.getOptionValue(stepsOption, list(c.defaultSteps())), stepsOption);
      Map<String, OnnxModel> models = new LinkedHashMap<>();
      try {
        for (Model m : c.models()) {
          String option = m.role() + "-model";
          Path dir =
              Path.of(
                  c instanceof VariantComparison v ? v.dir(m) : CliOptions.required(cmd, option));
          OnnxModel model = OnnxModel.open(dir, ort);
          models.put(m.role(), model);
          if (!m.family().isEmpty() && !model.family().name().equals(m.family())) {
            throw new InvalidInputException(
                "--"
                    + option
                    + " "
                    + dir
                    + ": expected a "
                    + m.family()
                    + " export, got family "
                    + model.family().name());
          }
        }
        // default: the shortest training length of the exports (none is timed beyond its own L)
        int trained =
            models.values().stream()
                .mapToInt(m -> m.metadata().seqLen())
                .filter(l -> l > 0)
                .min()
                .orElse(c.defaultLength());
        int length = CliOptions.intOpt(cmd, "length", trained, 2);
        for (OnnxModel model : models.values()) {
          SampleOptions.checkMemory(model.metadata().model(), batch, length);
        }
        report = compare.onExports(models, steps, length);
      } finally {
        models.values().forEach(OnnxModel::close);
      }
    }
    report.put("threads", ort.threads());
    report.put("cpus", Runtime.getRuntime().availableProcessors());
    Files.createDirectories(outFile.getParent());
    EvalFiles.writeString(
        outFile,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    out.println("-> " + outFile);
    return 0;
  }

  private static String list(List<Integer> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** {@code --lengths}: integers in [2, 65536]. */
  private static int[] lengths(String value) {
    String[] parts = value.split(",");
    int[] lengths = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        lengths[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new InvalidInputException("--lengths expects integers, got '" + parts[i] + "'");
      }
      if (lengths[i] < 2 || lengths[i] > 65536) {
        throw new InvalidInputException("--lengths must be in [2, 65536], got " + lengths[i]);
      }
    }
    return lengths;
  }

  /** Checks a variant label list for {@link VariantComparison}. */
  static void requireDistinct(List<Variant> variants) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Variant v : variants) {
      if (!seen.add(v.label())) {
        throw new InvalidInputException("--variant " + v.label() + " is given twice");
      }
    }
  }
}
