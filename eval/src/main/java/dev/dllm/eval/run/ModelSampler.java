package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.eval.metrics.PeakMemory;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.PromptBos;
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
    return draw(model, spec, n, batch, length, seed, threads, Progress.NONE);
  }

  /**
   * {@link #draw(OnnxModel, SamplerSpec, int, int, int, long, int)}, advancing {@code progress} by
   * the samples of each batch drawn ({@code n} in all; the warm-up row is not counted). The samples
   * are the same.
   */
  public static Samples draw(
      OnnxModel model,
      SamplerSpec spec,
      int n,
      int batch,
      int length,
      long seed,
      int threads,
      Progress progress) {
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
      progress.advance(b);
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

  /**
   * The row a prompted sample of {@code length} tokens (prompt and continuation) needs in {@code
   * model}: {@code length}, plus one for the BOS {@link #drawConditional} puts before the prompt
   * ({@link PromptBos}).
   */
  public static int rowLength(OnnxModel model, int length) {
    return length + (PromptBos.id(model.metadata(), null) >= 0 ? 1 : 0);
  }

  /**
   * Continues every prompt to {@code length} tokens through the family's conditional sampler
   * ({@link Sampler#sample(dev.dllm.api.Denoiser, Conditioning,
   * dev.dllm.api.tokenize.SpecialTokens, Rng[], dev.dllm.api.sample.StepListener)}, {@link
   * Conditioning#prefixes}), {@code batch} rows at a time, timing only the sampler calls after one
   * untimed warm-up row. Batch k draws from the k-th split of {@code new Rng(seed)} and its row r
   * from the r-th split of that ({@link Conditioning#rowStreams}): with empty prompts the rows are
   * exactly those of {@link #draw}. The throughput counts generated tokens only ({@code length − P}
   * per row).
   *
   * <p>Prompts get the tokenizer's BOS before them by the rule {@code dllm sample} applies ({@link
   * PromptBos#id} with no override: exactly when the export was trained in {@code wrap} block mode
   * and the tokenizer has a BOS id). The sampler then sees rows of {@code length + 1}, BOS at
   * position 0 (the caller's capacity check must allow for it: {@link #rowLength}), and the BOS is
   * dropped from the returned rows, so their layout is the same either way.
   *
   * @param prompts one prompt per sample, all of the same length P &lt; length
   * @return the whole rows {@code [length]} (prompt included, the BOS before it not) and the cost
   * @throws InvalidInputException when the family rejects the spec or cannot continue a prompt
   * @throws IllegalArgumentException when the prompts differ in length or there are none
   */
  public static Samples drawConditional(
      OnnxModel model,
      SamplerSpec spec,
      List<int[]> prompts,
      int batch,
      int length,
      long seed,
      int threads) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts");
    }
    int p = prompts.get(0).length;
    for (int[] prompt : prompts) {
      if (prompt.length != p) {
        throw new IllegalArgumentException(
            "prompts of " + p + " and " + prompt.length + " tokens; give one prompt length");
      }
    }
    Sampler sampler = model.family().newSampler(spec);
    boolean causal = model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
    var specials = model.metadata().specials();
    int bos = PromptBos.id(model.metadata(), null);
    int lead = bos >= 0 ? 1 : 0;
    int row = length + lead;
    List<int[]> given = new ArrayList<>(prompts.size());
    for (int[] prompt : prompts) {
      given.add(PromptBos.prepend(bos, prompt));
    }
    try {
      // one untimed row first: session warm-up and JIT are not part of the measurement
      sampler.sample(
          model.denoiser(),
          Conditioning.prefixes(List.of(given.get(0)), row),
          specials,
          new Rng(~seed));
    } catch (UnsupportedOperationException e) {
      throw new InvalidInputException(
          "family "
              + model.family().name()
              + " ("
              + model.directory()
              + ") cannot continue a prompt: "
              + e.getMessage());
    }
    PeakMemory.reset();
    Rng rng = new Rng(seed);
    int n = prompts.size();
    List<int[]> ids = new ArrayList<>(n);
    long nanos = 0;
    double nfe = 0;
    while (ids.size() < n) {
      int b = Math.min(batch, n - ids.size());
      Conditioning cond = Conditioning.prefixes(given.subList(ids.size(), ids.size() + b), row);
      Rng[] rows = Conditioning.rowStreams(rng.split(), b);
      long t0 = System.nanoTime();
      SampleBatch s = sampler.sample(model.denoiser(), cond, specials, rows, null);
      nanos += System.nanoTime() - t0;
      for (int r = 0; r < b; r++) {
        ids.add(Arrays.copyOfRange(s.tokens().ids(), r * row + lead, (r + 1) * row));
      }
      nfe += (double) s.nfe() * b;
    }
    PeakMemory.Snapshot mem = PeakMemory.read();
    int generated = length - p;
    Throughput t =
        new Throughput(
            n,
            generated,
            nanos / 1e9,
            nfe / n,
            batch,
            threads,
            mem.rssBytes(),
            mem.heapBytes(),
            mem.rssSinceReset());
    return new Samples(ids, causal ? generated : spec.steps(), t);
  }
}
