package dev.dllm.cli.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.model.DitConfig;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code bench-sample --sections ceiling}: the exported forward at {@code [B, L]} next to its
 * {@link GemmCeiling} (the same matrix products alone), timed alternately in one run with the same
 * ONNX Runtime settings; prints both in ms and GFLOP/s (matrix-product FLOPs) and the share of the
 * ceiling the forward reaches (issue 20's bar: ≥ 60%).
 */
final class CeilingSection {
  private CeilingSection() {}

  /**
   * @param forward one call of the exported model's denoiser at {@code [batch, length]}
   * @return the report section: seconds per call of both, GFLOP/s of both, {@code share_of_ceiling}
   *     = ceiling seconds / forward seconds
   * @throws Exception when the ceiling graph cannot be built or run
   */
  static Map<String, Object> run(
      DitConfig config,
      int batch,
      int length,
      int repeats,
      Path dir,
      OrtConfig ort,
      PrintStream out,
      Supplier<?> forward)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (GemmCeiling ceiling = GemmCeiling.open(config, batch, length, dir, env, ort)) {
      Supplier<?> gemms =
          () -> {
            ceiling.run();
            return null;
          };
      // alternate the two, so that load changes during the run hit both alike
      double fwd = 0;
      double ceil = 0;
      for (int round = 0; round < 3; round++) {
        fwd += RuntimeBench.timeCalls(forward, repeats);
        ceil += RuntimeBench.timeCalls(gemms, repeats);
      }
      fwd /= 3;
      ceil /= 3;
      double flops = ceiling.flops();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("matmul_flops_per_call", flops);
      m.put("forward_seconds_per_call", fwd);
      m.put("ceiling_seconds_per_call", ceil);
      m.put("forward_gflops", flops / fwd / 1e9);
      m.put("ceiling_gflops", flops / ceil / 1e9);
      m.put("share_of_ceiling", ceil / fwd);
      out.printf(
          "GEMM ceiling [%d, %d] (%.2f GFLOP of matrix products): forward %.1f ms (%.1f GFLOP/s)"
              + " | GEMMs alone %.1f ms (%.1f GFLOP/s) | forward at %.0f%% of the ceiling%n",
          batch,
          length,
          flops / 1e9,
          fwd * 1e3,
          flops / fwd / 1e9,
          ceil * 1e3,
          flops / ceil / 1e9,
          100 * ceil / fwd);
      return m;
    }
  }
}
