package dev.dllm.cli.fakefamily;

import dev.dllm.api.bench.SpeedComparison;
import java.util.List;
import java.util.Map;

/**
 * A test family's own {@code bench-sample} section, {@code fake5-skip}, registered only in the test
 * resources' {@code META-INF/services/dev.dllm.api.bench.SpeedComparison}: MDLM's cache-skip
 * against plain ancestral on one export given as {@code --plain-model}, at T of {@code
 * --fake5-skip-steps}.
 */
public final class FakeSpeedComparison implements SpeedComparison {
  @Override
  public String name() {
    return "fake5-skip";
  }

  @Override
  public String family() {
    return FakeFamilyCommand.FAMILY;
  }

  @Override
  public String title() {
    return "cache-skip vs ancestral";
  }

  @Override
  public List<Model> models() {
    return List.of(new Model("plain", "mdlm", "an MDLM export"));
  }

  @Override
  public List<Variant> variants() {
    return List.of(
        new Variant("ancestral", "ancestral", "plain", Map.of("predictor", "ancestral")),
        new Variant("skip", "cache-skip", "plain", Map.of("predictor", "ancestral_cache")));
  }

  @Override
  public List<Ratio> ratios() {
    return List.of(new Ratio("skip_vs_ancestral", "skip", "ancestral"));
  }

  @Override
  public List<Integer> defaultSteps() {
    return List.of(4);
  }

  @Override
  public int defaultRuns() {
    return 1;
  }
}
