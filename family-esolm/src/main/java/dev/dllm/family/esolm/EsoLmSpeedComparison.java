package dev.dllm.family.esolm;

import dev.dllm.api.bench.SpeedComparison;
import java.util.List;
import java.util.Map;

/**
 * {@code dllm bench-sample --sections esolm}: the wall time to draw the same B samples of length L
 * with Eso-LM (KV cache, and without), MDLM ancestral with T = L and MDLM cache-skip ({@code
 * ancestral_cache}), side by side with the ratios, on same-sized random DiTs exported to ONNX at
 * each L of {@code --lengths} (default 256, 1024; issue 9; paper: Eso-LM ≈14× faster than MDLM at L
 * = 2048, ≈66× at L = 8192). Speed does not depend on the weights, only on the shapes and the
 * number of network calls and tokens fed. One timed run per row (seed 42), no warm-up.
 */
public final class EsoLmSpeedComparison implements SpeedComparison {
  @Override
  public String name() {
    return "esolm";
  }

  @Override
  public String family() {
    return "esolm";
  }

  @Override
  public String title() {
    return "Eso-LM vs MDLM";
  }

  @Override
  public List<Model> models() {
    return List.of(new Model("esolm", "esolm", "Eso-LM"), new Model("mdlm", "mdlm", "MDLM"));
  }

  @Override
  public List<Variant> variants() {
    return List.of(
        new Variant("esolm_kv_cache", "Eso-LM KV cache", "esolm", Map.of("kv_cache", "true")),
        new Variant("esolm_no_cache", "Eso-LM no cache", "esolm", Map.of("kv_cache", "false")),
        new Variant(
            "mdlm_ancestral_T_eq_L", "MDLM ancestral", "mdlm", Map.of("predictor", "ancestral")),
        new Variant(
            "mdlm_cache_skip", "MDLM cache-skip", "mdlm", Map.of("predictor", "ancestral_cache")));
  }

  @Override
  public List<Ratio> ratios() {
    return List.of(
        new Ratio("speedup_vs_mdlm", "esolm_kv_cache", "mdlm_ancestral_T_eq_L"),
        new Ratio("speedup_vs_mdlm_cache_skip", "esolm_kv_cache", "mdlm_cache_skip"),
        new Ratio("speedup_vs_esolm_no_cache", "esolm_kv_cache", "esolm_no_cache"));
  }

  @Override
  public Map<String, String> notes() {
    return Map.of(
        "paper", "Eso-LM vs MDLM sampling speed: about 14x at L=2048 and 66x at L=8192 (issue 9)");
  }

  /** {@code esolm}, the key of the rows before the comparison was shared. */
  @Override
  public String rowsKey() {
    return "esolm";
  }

  @Override
  public boolean randomWeights() {
    return true;
  }

  @Override
  public int defaultRuns() {
    return 1;
  }

  @Override
  public boolean warmUp() {
    return false;
  }
}
