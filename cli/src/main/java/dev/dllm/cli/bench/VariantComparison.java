package dev.dllm.cli.bench;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.bench.SpeedComparison;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;

/**
 * {@code bench-sample --sections compare}: the {@link SpeedComparison} of the {@code --variant
 * LABEL=DIR[,KEY=VALUE...]} options, over exports of any family (each distinct DIR is one model,
 * opened once) with the given sampler options; every variant after the first gets the ratio {@code
 * <label>_vs_<first>_speed} (tokens/s over the first's). T from {@code --compare-steps}.
 */
record VariantComparison(
    List<SpeedComparison.Model> models,
    List<SpeedComparison.Variant> variants,
    List<SpeedComparison.Ratio> ratios,
    Map<String, String> dirs)
    implements SpeedComparison {
  private static final String LABEL = "[A-Za-z0-9_.-]+";

  /**
   * Parses the {@code --variant} options.
   *
   * @throws InvalidInputException naming the option when none is given, one is malformed, a label
   *     repeats or a sampler option is not KEY=VALUE
   */
  static VariantComparison parse(CommandLine cmd) {
    String[] given = cmd.getOptionValues("variant");
    if (given == null || given.length == 0) {
      throw new InvalidInputException(
          "--sections compare needs --variant LABEL=DIR[,KEY=VALUE...], at least once");
    }
    Map<String, String> roleOfDir = new LinkedHashMap<>();
    List<Model> models = new ArrayList<>();
    List<Variant> variants = new ArrayList<>();
    Map<String, String> dirs = new LinkedHashMap<>();
    for (String g : given) {
      String[] parts = g.split(",");
      int eq = parts[0].indexOf('=');
      if (eq <= 0 || !parts[0].substring(0, eq).matches(LABEL) || eq == parts[0].length() - 1) {
        throw new InvalidInputException(
            "--variant expects LABEL=DIR[,KEY=VALUE...] (label: letters, digits, '_', '.', '-'),"
                + " got '"
                + g
                + "'");
      }
      String label = parts[0].substring(0, eq);
      String dir = Path.of(parts[0].substring(eq + 1)).toAbsolutePath().normalize().toString();
      String role = roleOfDir.get(dir);
      if (role == null) {
        role = "model" + (roleOfDir.size() + 1);
        roleOfDir.put(dir, role);
        models.add(new Model(role, "", "export"));
        dirs.put(role, dir);
      }
      Map<String, String> options = new LinkedHashMap<>();
      for (int i = 1; i < parts.length; i++) {
        int e = parts[i].indexOf('=');
        if (e <= 0) {
          throw new InvalidInputException(
              "--variant " + label + ": sampler option must be KEY=VALUE, got '" + parts[i] + "'");
        }
        options.put(parts[i].substring(0, e).trim(), parts[i].substring(e + 1).trim());
      }
      variants.add(new Variant(label, label, role, options));
    }
    SpeedComparisons.requireDistinct(variants);
    List<Ratio> ratios = new ArrayList<>();
    String base = variants.get(0).label();
    for (Variant v : variants.subList(1, variants.size())) {
      ratios.add(new Ratio(v.label() + "_vs_" + base + "_speed", v.label(), base));
    }
    return new VariantComparison(
        List.copyOf(models), List.copyOf(variants), List.copyOf(ratios), Map.copyOf(dirs));
  }

  /** The export directory of {@code m}. */
  String dir(Model m) {
    return dirs.get(m.role());
  }

  @Override
  public String name() {
    return SpeedComparisons.COMPARE;
  }

  @Override
  public String family() {
    return "";
  }

  @Override
  public String title() {
    return "Sampler variants";
  }
}
