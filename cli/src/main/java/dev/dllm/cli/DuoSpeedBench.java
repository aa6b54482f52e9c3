package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.StepListener;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm bench-sample --sections duo}: Duo against MDLM on two exports of the same size (issue
 * 8), at each T of {@code --duo-steps} (default 8, 32, 128), L = {@code --length} (256), B = {@code
 * --batch} (8): generated tokens/s and mean sample entropy (spec §6.3, nats) of Duo with the
 * ancestral final step, Duo with the greedy tail and MDLM ({@code ancestral}, NFE = T + 1 like
 * Duo), side by side; and for Duo where each step's time goes, in ms per step and % of the step:
 * network (the ONNX Runtime denoiser call), posterior (the float64 posterior and categorical draw
 * at all B·L positions, or the greedy argmax at the tail) and other (schedule, sigma, copies). The
 * split comes from the sampler itself through a {@link StepListener} on the timed runs (the same
 * runs that give tokens/s), so it measures the posterior as sampling runs it: in parallel over
 * rows, on the real logits, with its real memory traffic (re-running a copy of the posterior on
 * recorded x_θ would time other code, threading and cache state). The bar: posterior under 10% of
 * the step.
 *
 * <p>Each model gets one untimed warm-up run at the smallest T; then {@code --runs} timed runs per
 * row with seeds {@code --seed} + r (the same seeds for every method, so Duo's two final steps
 * share their trajectory up to the last step).
 */
final class DuoSpeedBench {
  /** Posterior share of the step the issue asks to stay under. */
  static final double POSTERIOR_BAR = 0.10;

  private DuoSpeedBench() {}

  /** The section's options, added to {@code bench-sample}'s. */
  static void addOptions(Options o) {
    o.addOption(CliOptions.opt("duo-model", "DIR", "--sections duo: Duo export (required)"));
    o.addOption(CliOptions.opt("mdlm-model", "DIR", "--sections duo: MDLM export (required)"));
    o.addOption(CliOptions.opt("duo-steps", "LIST", "--sections duo: steps T (default 8,32,128)"));
    o.addOption(CliOptions.opt("runs", "R", "--sections duo: timed runs per T (default 3)"));
    o.addOption(CliOptions.opt("seed", "S", "--sections duo: seed of the first run (default 42)"));
  }

  /** {@code --sections duo}: opens both exports, runs {@link #run} and writes the report. */
  static int command(CommandLine cmd, PrintStream out, OrtConfig ort, Path outFile)
      throws Exception {
    Path duoDir = Path.of(CliOptions.required(cmd, "duo-model"));
    Path mdlmDir = Path.of(CliOptions.required(cmd, "mdlm-model"));
    int batch = CliOptions.intOpt(cmd, "batch", 8, 1);
    int length = CliOptions.intOpt(cmd, "length", 256, 2);
    int runs = CliOptions.intOpt(cmd, "runs", 3, 1);
    long seed = CliOptions.longOpt(cmd, "seed", 42L, Long.MIN_VALUE);
    int[] steps = RuntimeBench.intList(cmd.getOptionValue("duo-steps", "8,32,128"), "duo-steps");
    Map<String, Object> report;
    try (OnnxModel duo = open(duoDir, "duo", "duo-model", ort);
        OnnxModel mdlm = open(mdlmDir, "mdlm", "mdlm-model", ort)) {
      SampleOptions.checkMemory(duo.metadata().model(), batch, length);
      SampleOptions.checkMemory(mdlm.metadata().model(), batch, length);
      report = run(duo, mdlm, steps, batch, length, runs, seed, out);
      report.put("threads", ort.threads());
      report.put("cpus", Runtime.getRuntime().availableProcessors());
    }
    Files.createDirectories(outFile.getParent());
    EvalFiles.writeString(
        outFile,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    out.println("-> " + outFile);
    return 0;
  }

  private static OnnxModel open(Path dir, String family, String option, OrtConfig ort) {
    OnnxModel m = OnnxModel.open(dir, ort);
    if (!m.family().name().equals(family)) {
      String got = m.family().name();
      m.close();
      throw new InvalidInputException(
          "--" + option + " " + dir + ": expected a " + family + " export, got family " + got);
    }
    return m;
  }

  /**
   * Runs every T on both models.
   *
   * @return the report: settings, one row per T (tokens/s, entropy, NFE, seconds of each method,
   *     the Duo time split) and whether the posterior stays under the bar on every Duo row
   */
  static Map<String, Object> run(
      OnnxModel duo,
      OnnxModel mdlm,
      int[] steps,
      int batch,
      int length,
      int runs,
      long seed,
      PrintStream out) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("section", "duo");
    report.put("duo_model", duo.directory().toString());
    report.put("mdlm_model", mdlm.directory().toString());
    report.put("duo_shape", ExportMetadata.modelMap(duo.metadata().model()));
    report.put("mdlm_shape", ExportMetadata.modelMap(mdlm.metadata().model()));
    report.put("batch", batch);
    report.put("length", length);
    report.put("runs", runs);
    report.put("seed", seed);
    report.put("mdlm_predictor", "ancestral");
    report.put("provider", duo.provider());
    int minSteps = java.util.Arrays.stream(steps).min().orElse(1);
    measure(duo, minSteps, Map.of(), batch, length, 1, seed); // warm-up (JIT, ORT arenas)
    measure(mdlm, minSteps, Map.of("predictor", "ancestral"), batch, length, 1, seed);
    out.printf(
        "Duo vs MDLM, B=%d, L=%d, %d run(s): tokens/s (entropy, nats)%n"
            + "%5s | %-18s | %-18s | %-18s | Duo step: network / posterior / other ms"
            + " (posterior %%)%n",
        batch, length, runs, "T", "Duo ancestral", "Duo greedy tail", "MDLM ancestral");
    List<Map<String, Object>> rows = new ArrayList<>();
    double worst = 0;
    for (int t : steps) {
      Measured anc =
          measure(duo, t, Map.of("noise_removal", "ancestral"), batch, length, runs, seed);
      Measured greedy = measure(duo, t, Map.of("greedy_tail", "true"), batch, length, runs, seed);
      Measured md = measure(mdlm, t, Map.of("predictor", "ancestral"), batch, length, runs, seed);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("steps", t);
      row.put("duo_ancestral", anc.toMap());
      row.put("duo_greedy_tail", greedy.toMap());
      row.put("mdlm", md.toMap());
      row.put("duo_ancestral_vs_mdlm_speed", anc.tokensPerSecond() / md.tokensPerSecond());
      rows.add(row);
      worst = Math.max(worst, Math.max(anc.posteriorShare(), greedy.posteriorShare()));
      out.printf(
          "%5d | %10.0f (%5.3f) | %10.0f (%5.3f) | %10.0f (%5.3f) | %.2f / %.2f / %.2f of %.2f ms"
              + " (%.1f%%)%n",
          t,
          anc.tokensPerSecond(),
          anc.entropy,
          greedy.tokensPerSecond(),
          greedy.entropy,
          md.tokensPerSecond(),
          md.entropy,
          anc.ms(anc.networkNanos),
          anc.ms(anc.posteriorNanos),
          anc.ms(anc.otherNanos()),
          anc.ms(anc.stepNanos),
          100 * anc.posteriorShare());
    }
    report.put("rows", rows);
    report.put("posterior_share_max", worst);
    report.put("posterior_bar", POSTERIOR_BAR);
    report.put("posterior_under_bar", worst < POSTERIOR_BAR);
    out.printf(
        "Duo posterior: at most %.1f%% of a step (bar %.0f%%): %s%n",
        100 * worst, 100 * POSTERIOR_BAR, worst < POSTERIOR_BAR ? "ok" : "OVER");
    return report;
  }

  /**
   * {@code runs} timed sampling runs of one method with the step listener attached.
   *
   * @throws IllegalStateException when a sampler that reports steps reports fewer or more than its
   *     NFE
   */
  static Measured measure(
      OnnxModel model,
      int steps,
      Map<String, String> options,
      int batch,
      int length,
      int runs,
      long seed) {
    Sampler sampler = model.family().newSampler(new SamplerSpec(steps, 1.0, options));
    long[] sums = new long[4]; // network, posterior, step nanos, step count
    StepListener listener =
        (step, network, update, total) -> {
          sums[0] += network;
          sums[1] += update;
          sums[2] += total;
          sums[3]++;
        };
    long wall = 0;
    long nfe = 0;
    long tokens = 0;
    double entropy = 0;
    int samples = 0;
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      SampleBatch s =
          sampler.sample(
              model.denoiser(),
              batch,
              length,
              model.metadata().specials(),
              new Rng(seed + r),
              sampler.reportsSteps() ? listener : null);
      wall += System.nanoTime() - t0;
      nfe += s.nfe();
      int[] ids = s.tokens().ids();
      int rowLength = s.tokens().length();
      tokens += ids.length;
      for (int b = 0; b < s.tokens().batch(); b++) {
        entropy += SampleEntropy.of(ids, b * rowLength, rowLength);
        samples++;
      }
    }
    if (sampler.reportsSteps() && sums[3] != nfe) {
      throw new IllegalStateException(
          "the "
              + model.family().name()
              + " sampler reported "
              + sums[3]
              + " steps for NFE "
              + nfe);
    }
    return new Measured(
        runs,
        sampler.reportsSteps(),
        wall,
        nfe,
        tokens,
        entropy / samples,
        sums[0],
        sums[1],
        sums[2]);
  }

  /**
   * Totals over the timed runs of one method.
   *
   * @param runs timed sampler calls
   * @param split whether the sampler reported its steps (the nanos below are 0 otherwise)
   * @param wallNanos wall time of the sampler calls
   * @param nfe network calls over all runs
   * @param tokens generated tokens over all runs and rows
   * @param entropy mean unigram entropy per sample, nats
   * @param networkNanos total time in the denoiser call
   * @param posteriorNanos total time in the posterior and draw
   * @param stepNanos total time of the reported steps
   */
  record Measured(
      int runs,
      boolean split,
      long wallNanos,
      long nfe,
      long tokens,
      double entropy,
      long networkNanos,
      long posteriorNanos,
      long stepNanos) {

    double tokensPerSecond() {
      return tokens / (wallNanos / 1e9);
    }

    long otherNanos() {
      return stepNanos - networkNanos - posteriorNanos;
    }

    /** Milliseconds per step of a total over all steps. */
    double ms(long totalNanos) {
      return totalNanos / 1e6 / nfe;
    }

    double posteriorShare() {
      return split ? (double) posteriorNanos / stepNanos : 0;
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seconds", wallNanos / 1e9);
      m.put("nfe", nfe);
      m.put("tokens_per_second", tokensPerSecond());
      m.put("entropy_mean", entropy);
      m.put("ms_per_step", ms(wallNanos));
      if (split) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("step_ms", ms(stepNanos));
        t.put("network_ms", ms(networkNanos));
        t.put("posterior_ms", ms(posteriorNanos));
        t.put("other_ms", ms(otherNanos()));
        t.put("network_share", (double) networkNanos / stepNanos);
        t.put("posterior_share", posteriorShare());
        t.put("other_share", (double) otherNanos() / stepNanos);
        t.put("outside_steps_ms_per_run", (wallNanos - stepNanos) / 1e6 / runs);
        m.put("time_split", t);
      }
      return m;
    }
  }
}
