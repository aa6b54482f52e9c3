package dev.dllm.eval.run;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.eval.metrics.PeakMemory;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.runtime.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Draws samples from an exported model through its family's own sampler ({@link
 * dev.dllm.api.DiffusionFamily#newSampler}) on the model's ONNX Runtime denoiser, timing only the
 * sampler calls, after one untimed warm-up row. Batch k uses the k-th split of {@code new
 * Rng(seed)}, as {@code dllm sample} does.
 */
public final class ModelSampler {
  private ModelSampler() {}

  /**
   * Samples and their cost.
   *
   * @param ids one {@code int[L]} per sample (the model's own token ids)
   * @param steps the steps really taken (L − 1 for a causal family, else T)
   * @param throughput tokens/s, NFE per sample and peak memory
   */
  public record Samples(List<int[]> ids, int steps, Throughput throughput) {}

  /**
   * Draws {@code n} samples of {@code length} tokens, {@code batch} rows at a time.
   *
   * @param threads the ONNX Runtime intra-op threads the model was opened with (recorded only)
   * @throws dev.dllm.api.InvalidInputException when the family rejects the sampler spec
   */
  public static Samples draw(
      OnnxModel model, SamplerSpec spec, int n, int batch, int length, long seed, int threads) {
    Sampler sampler = model.family().newSampler(spec);
    boolean causal = model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
    // one untimed row first: session warm-up and JIT are not part of the measurement
    sampler.sample(model.denoiser(), 1, length, model.metadata().specials(), new Rng(~seed));
    PeakMemory.reset();
    Rng rng = new Rng(seed);
    List<int[]> ids = new ArrayList<>(n);
    long nanos = 0;
    double nfe = 0;
    while (ids.size() < n) {
      int b = Math.min(batch, n - ids.size());
      Rng batchRng = rng.split();
      long t0 = System.nanoTime();
      SampleBatch s =
          sampler.sample(model.denoiser(), b, length, model.metadata().specials(), batchRng);
      nanos += System.nanoTime() - t0;
      for (int r = 0; r < b; r++) {
        ids.add(Arrays.copyOfRange(s.tokens().ids(), r * length, (r + 1) * length));
      }
      nfe += (double) s.nfe() * b;
    }
    PeakMemory.Snapshot mem = PeakMemory.read();
    Throughput t =
        new Throughput(
            n,
            length,
            nanos / 1e9,
            nfe / n,
            batch,
            threads,
            mem.rssBytes(),
            mem.heapBytes(),
            mem.rssSinceReset());
    return new Samples(ids, causal ? length - 1 : spec.steps(), t);
  }
}
