package dev.dllm.cli.bench;

import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.StepListener;
import dev.dllm.runtime.onnx.OnnxModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Timed sampling runs of one sampler variant on an ONNX model, with the sampler's own step split
 * ({@link StepListener}) on the same runs that give tokens/s: network (the ONNX Runtime denoiser
 * call), the family's update (named by its {@link dev.dllm.api.sample.StepSplit}, e.g. Duo's
 * posterior: the float64 posterior and categorical draw at all B·L positions) and other (schedule,
 * sigma, copies). Measuring inside the sampler times the update as sampling runs it: in parallel
 * over rows, on the real logits, with its real memory traffic.
 */
final class SamplerTiming {
  private SamplerTiming() {}

  /**
   * {@code runs} timed sampling runs with seeds {@code seed + r} (the same seeds for every variant,
   * so variants of one model share their trajectory up to where their options differ).
   *
   * @param length L, tokens per row
   * @param part the name of the update phase in the report ({@code update} without a probe)
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
      long seed,
      String part) {
    Sampler sampler = model.family().newSampler(new SamplerSpec(steps, 1.0, options));
    long[] sums = new long[4]; // network, update, step nanos, step count
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
        part,
        wall,
        nfe,
        tokens,
        entropy / samples,
        sums[0],
        sums[1],
        sums[2]);
  }

  /**
   * Totals over the timed runs of one variant.
   *
   * @param runs timed sampler calls
   * @param split whether the sampler reported its steps (the nanos below are 0 otherwise)
   * @param part the update phase's name in {@link #toMap()} ({@code <part>_ms}, {@code
   *     <part>_share})
   * @param wallNanos wall time of the sampler calls
   * @param nfe network calls over all runs
   * @param tokens generated tokens over all runs and rows
   * @param entropy mean unigram entropy per sample, nats
   * @param networkNanos total time in the denoiser call
   * @param updateNanos total time in the family's update
   * @param stepNanos total time of the reported steps
   */
  record Measured(
      int runs,
      boolean split,
      String part,
      long wallNanos,
      long nfe,
      long tokens,
      double entropy,
      long networkNanos,
      long updateNanos,
      long stepNanos) {

    double tokensPerSecond() {
      return tokens / (wallNanos / 1e9);
    }

    long otherNanos() {
      return stepNanos - networkNanos - updateNanos;
    }

    /** Milliseconds per step of a total over all steps. */
    double ms(long totalNanos) {
      return totalNanos / 1e6 / nfe;
    }

    /** The update's share of the reported steps, 0 without a split. */
    double updateShare() {
      return split ? (double) updateNanos / stepNanos : 0;
    }

    /** seconds, nfe, tokens_per_second, entropy_mean, ms_per_step and, split, time_split. */
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
        t.put(part + "_ms", ms(updateNanos));
        t.put("other_ms", ms(otherNanos()));
        t.put("network_share", (double) networkNanos / stepNanos);
        t.put(part + "_share", updateShare());
        t.put("other_share", (double) otherNanos() / stepNanos);
        t.put("outside_steps_ms_per_run", (wallNanos - stepNanos) / 1e6 / runs);
        m.put("time_split", t);
      }
      return m;
    }
  }
}
