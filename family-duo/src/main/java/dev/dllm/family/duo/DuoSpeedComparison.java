package dev.dllm.family.duo;

import dev.dllm.api.bench.SpeedComparison;
import java.util.List;
import java.util.Map;

/**
 * {@code dllm bench-sample --sections duo}: Duo against MDLM on two exports of the same size (issue
 * 8), at each T of {@code --duo-steps} (default 8, 32, 128), L = {@code --length} (default: the
 * shortest training length of the two exports), B = {@code --batch} (8): generated tokens/s and
 * mean sample entropy of Duo with the ancestral final step, Duo with the greedy tail and MDLM
 * ({@code ancestral}, NFE = T + 1 like Duo), side by side, and the Duo step split of {@link
 * DuoFamily#stepSplit()} (network / posterior / other; the bar: posterior under {@value
 * #POSTERIOR_BAR} of the step). Each model gets one untimed warm-up run at the smallest T; then
 * {@code --runs} (3) timed runs per row with seeds {@code --seed} + r, the same for every variant,
 * so Duo's two final steps share their trajectory up to the last step.
 */
public final class DuoSpeedComparison implements SpeedComparison {
  /** Posterior share of the step the issue asks to stay under. */
  public static final double POSTERIOR_BAR = 0.10;

  @Override
  public String name() {
    return "duo";
  }

  @Override
  public String family() {
    return "duo";
  }

  @Override
  public String title() {
    return "Duo vs MDLM";
  }

  @Override
  public List<Model> models() {
    return List.of(new Model("duo", "duo", "Duo export"), new Model("mdlm", "mdlm", "MDLM export"));
  }

  @Override
  public List<Variant> variants() {
    return List.of(
        new Variant("duo_ancestral", "Duo ancestral", "duo", Map.of("noise_removal", "ancestral")),
        new Variant("duo_greedy_tail", "Duo greedy tail", "duo", Map.of("greedy_tail", "true")),
        new Variant("mdlm", "MDLM ancestral", "mdlm", Map.of("predictor", "ancestral")));
  }

  @Override
  public List<Ratio> ratios() {
    return List.of(new Ratio("duo_ancestral_vs_mdlm_speed", "duo_ancestral", "mdlm"));
  }

  @Override
  public Map<String, String> notes() {
    return Map.of("mdlm_predictor", "ancestral");
  }
}
