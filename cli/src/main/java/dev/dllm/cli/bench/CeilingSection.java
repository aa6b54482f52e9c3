package dev.dllm.cli.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitConfig;
import dev.dllm.cli.CliOptions;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code bench-sample --sections ceiling}: the exported forward at {@code [B, L]} next to its
 * {@link GemmCeiling} (the same matrix products alone), timed alternately in one run with the same
 * ONNX Runtime settings; prints both in ms and GFLOP/s (matrix-product FLOPs) and the share of the
 * ceiling the forward reaches (issue 20's bar: ≥ 60%); each time is the median of {@link #ROUNDS}
 * round-robin rounds. With {@code --baseline-export DIR} the forward of that export (e.g. one
 * written by an older build, same model) is timed in the same rounds, so a change of the exported
 * graph is measured before/after in one run.
 */
final class CeilingSection {
  /**
   * Timing rounds; each times every graph once ({@code repeats} calls), in turn; each graph's time
   * is the median over the rounds (robust to a round hit by a load spike on a shared machine).
   */
  static final int ROUNDS = 7;

  private CeilingSection() {}

  static void addOptions(Options o) {
    o.addOption(
        CliOptions.opt(
            "baseline-export",
            "DIR",
            "--sections ceiling: also time this export's forward (same model, e.g. written by an"
                + " older build) in the same rounds"));
  }

  /**
   * @param forward one call of the exported model's denoiser at {@code [batch, length]}
   * @param tokens, sigma the forward's inputs (fed to the baseline export too)
   * @return the report section: seconds per call of both, GFLOP/s of both, {@code share_of_ceiling}
   *     = ceiling seconds / forward seconds (and the same of the baseline export)
   * @throws InvalidInputException when {@code --baseline-export} is not an export of a model of the
   *     same shape
   * @throws Exception when the ceiling graph cannot be built or run
   */
  static Map<String, Object> run(
      CommandLine cmd,
      DitConfig config,
      int batch,
      int length,
      int repeats,
      Path dir,
      OrtConfig ort,
      PrintStream out,
      TokenBatch tokens,
      float[] sigma,
      Supplier<?> forward)
      throws Exception {
    String base = cmd.getOptionValue("baseline-export");
    try (OnnxModel baseline = base == null ? null : OnnxModel.open(Path.of(base), ort)) {
      if (baseline != null && !baseline.metadata().model().equals(config)) {
        throw new InvalidInputException(
            "--baseline-export "
                + base
                + " holds model "
                + baseline.metadata().model()
                + "; expected the benchmarked model "
                + config);
      }
      Supplier<?> baseForward =
          baseline == null ? null : () -> baseline.denoiser().forward(tokens, sigma);
      return run(config, batch, length, repeats, dir, ort, out, forward, baseForward);
    }
  }

  private static Map<String, Object> run(
      DitConfig config,
      int batch,
      int length,
      int repeats,
      Path dir,
      OrtConfig ort,
      PrintStream out,
      Supplier<?> forward,
      Supplier<?> baseline)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (GemmCeiling ceiling = GemmCeiling.open(config, batch, length, dir, env, ort)) {
      Supplier<?> gemms =
          () -> {
            ceiling.run();
            return null;
          };
      // alternate the graphs, so that load changes during the run hit all alike
      double[] fwds = new double[ROUNDS];
      double[] ceils = new double[ROUNDS];
      double[] bases = new double[ROUNDS];
      for (int round = 0; round < ROUNDS; round++) {
        fwds[round] = RuntimeBench.timeCalls(forward, repeats);
        ceils[round] = RuntimeBench.timeCalls(gemms, repeats);
        if (baseline != null) {
          bases[round] = RuntimeBench.timeCalls(baseline, repeats);
        }
      }
      double fwd = median(fwds);
      double ceil = median(ceils);
      double base = median(bases);
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
      if (baseline != null) {
        m.put("baseline_seconds_per_call", base);
        m.put("baseline_share_of_ceiling", ceil / base);
        m.put("speedup_over_baseline", base / fwd);
        out.printf(
            "  baseline export: forward %.1f ms, at %.0f%% of the ceiling | this build x%.2f%n",
            base * 1e3, 100 * ceil / base, base / fwd);
      }
      return m;
    }
  }

  /** The median of {@code xs} (the mean of the middle two for an even count). */
  static double median(double[] xs) {
    double[] s = xs.clone();
    java.util.Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
