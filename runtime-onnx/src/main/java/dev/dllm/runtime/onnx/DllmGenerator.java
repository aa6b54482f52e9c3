package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text generation from an export folder for deployers: ONNX Runtime and the family jars only (no
 * DJL, no checkpoint). The family, tokenizer and block length come from the export's metadata.
 *
 * <pre>{@code
 * try (DllmGenerator g = DllmGenerator.open(Path.of("export"))) {
 *   for (Generated s : g.generate(GenerateOptions.defaults().withNumber(4).withSteps(128))) {
 *     System.out.println(s.nfe() + " NFE: " + s.text());
 *   }
 * }
 * }</pre>
 *
 * <p>Everything is loaded by {@link #open} (sessions and tokenizer): the folder is not read again.
 * Thread-safe: several threads may call {@link #generate} on one generator; each call has its own
 * sampler and random streams and the network calls overlap (see {@link OnnxDenoiser}). Samples
 * depend only on the options (same seed, same samples, whatever the concurrency): batch k of an
 * unconditional request draws from the k-th split of {@code new Rng(seed)}, as {@code dllm sample}
 * does; sample i of a prompted request from the i-th split, whatever the batch.
 *
 * <pre>{@code
 * GenerateOptions o = GenerateOptions.defaults().withNumber(2).withPrompt("To be").withMaxNewTokens(32);
 * for (Generated s : g.generate(o)) {
 *   System.out.println(s.completion() + " [" + s.stopReason() + "]");
 * }
 * }</pre>
 */
public final class DllmGenerator implements AutoCloseable {
  private final OnnxModel model;
  private final Tokenizer tokenizer;

  private final PromptPlanner planner;
  private final ConditionedGeneration conditioned;

  private DllmGenerator(OnnxModel model) {
    this.model = model;
    try {
      this.tokenizer = model.tokenizer();
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    this.planner = new PromptPlanner(model, tokenizer);
    this.conditioned = new ConditionedGeneration(model, tokenizer, planner);
  }

  /**
   * Opens an export folder on the CPU with ONNX Runtime's default threads.
   *
   * @throws InvalidInputException when the folder is not a readable, consistent dllm export or its
   *     family or tokenizer is not on the class path
   */
  public static DllmGenerator open(Path export) {
    return open(export, OrtConfig.defaults());
  }

  /** As {@link #open(Path)} with a provider, thread count and optimisation level. */
  public static DllmGenerator open(Path export, OrtConfig config) {
    return open(export, config, OrtCalls.DEFAULT);
  }

  /** As {@link #open(Path, OrtConfig)}, calling ONNX Runtime through {@code calls} (test seam). */
  public static DllmGenerator open(Path export, OrtConfig config, OrtCalls calls) {
    return new DllmGenerator(OnnxModel.open(export, config, calls));
  }

  /** The opened export (metadata, family, provider). */
  public OnnxModel model() {
    return model;
  }

  /** The family's registry name, from the export's metadata. */
  public String family() {
    return model.family().name();
  }

  /** The tokenizer restored from the export. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Draws {@code options.number()} samples.
   *
   * <p><b>Unconditional</b> (no prompts, no {@code maxNewTokens}): rows of L (or the semi-AR output
   * length), batch k of the request drawing from the k-th split of {@code new Rng(seed)}, exactly
   * as before prompts existed. {@link Generated#completion} is then the decoded row cut at its
   * first EOS and stop string.
   *
   * <p><b>Conditioned</b> (see {@link Conditioning}): sample i draws only from the i-th split of
   * {@code new Rng(seed)}, so it does not depend on the batch size nor on the rows batched with it.
   * Its prompt is given at positions 0 … P − 1 and its span of new tokens (max new tokens, or the
   * request's own length) starts at P. The given tokens start with the tokenizer's BOS when {@link
   * PromptBos} says so (automatically: the export was trained in {@code wrap} block mode, whose
   * every training row starts with BOS; {@link GenerateOptions#bos} forces it either way); that BOS
   * is counted in P and in every capacity check below, never in the completion:
   *
   * <ul>
   *   <li>a sampler that only continues a prefix ({@link Sampler#supportsInfill()} false, e.g. a
   *       causal model) gets rows of min(L, max over the batch of P + new tokens); P + new tokens
   *       &gt; L is refused. Each sample keeps its own P + new tokens of that row (ids, text,
   *       steps), whatever it was batched with. An empty prompt becomes the tokenizer's BOS, where
   *       it has one (the token such a sampler starts from);
   *   <li>any other sampler gets the whole row R = {@link Sampler#outputLength}(L) (L, or L + N·S
   *       for semi-autoregressive MDLM with {@code strides=N}, {@code stride_length=S}): prompt,
   *       the free span, the suffix of an infill, then the rest of the block given as EOS (the
   *       tokenizer's EOS id, or PAD when it has none; with neither, the row is cut to P + new
   *       tokens + suffix), so that a shorter answer is generated inside a block of L as LLaDA and
   *       dLLM do. P + suffix &gt;= R is a prompt too long, P + new tokens + suffix &gt; R a max
   *       new tokens beyond capacity.
   * </ul>
   *
   * <p>The completion is the span cut at the first EOS the model generated ({@link
   * GenerateOptions#stopAtEos()}) and before the first stop string ({@link Completion}); the ids
   * after the cut stay in {@link Generated#generated} and {@link Generated#ids}.
   *
   * @return the samples in request order, all complete; nothing is returned when a network call
   *     fails
   * @throws InvalidInputException for options the family refuses, a length the export does not
   *     record, a token id outside the vocabulary, a prompt with a character the tokenizer cannot
   *     encode, a prompt too long for the model, max new tokens beyond the row, a suffix for a
   *     sampler that does not infill, or a family that does not implement conditional generation
   * @throws IllegalStateException when ONNX Runtime fails while sampling: one message naming the
   *     samples whose batch failed (the cause is ONNX Runtime's error)
   */
  public List<Generated> generate(GenerateOptions options) {
    return generate(options, newSampler(options));
  }

  /**
   * Checks {@code options} as {@link #generate} does before sampling (sampler options, length,
   * prompt encoding, prompt length and capacity, infill support), without any network call.
   *
   * @throws InvalidInputException as {@link #generate}
   */
  public void check(GenerateOptions options) {
    Sampler sampler = newSampler(options);
    int length = blockLength(options);
    if (options.conditioned()) {
      planner.plan(options, sampler, length);
    }
  }

  /**
   * The rows a conditioned request's samples are drawn in, as {@link #generate} lays them out
   * (sample i's prompt, span and suffix; see {@link PromptLayout}), for callers that sample rows of
   * several requests together ({@code dllm serve}). Sample i of the request draws from the i-th
   * split of {@code new Rng(seed)} ({@link Conditioning#rowStreams}).
   *
   * @return one row per sample, in sample order
   * @throws InvalidInputException as {@link #check}, or for options that are not conditioned
   */
  public List<PromptLayout.Row> plan(GenerateOptions options) {
    if (!options.conditioned()) {
      throw new InvalidInputException("a request to plan needs a prompt or max new tokens");
    }
    return planner.plan(options, newSampler(options), blockLength(options));
  }

  /**
   * A new sampler for {@code options} (steps, top-p, family options; stopping at EOS when
   * conditioned), as {@link #generate} uses.
   *
   * @throws InvalidInputException for an option the family refuses
   */
  public Sampler newSampler(GenerateOptions options) {
    SamplerSpec spec = new SamplerSpec(options.steps(), options.topP(), options.familyOptions());
    return model
        .family()
        .newSampler(options.conditioned() ? spec.withStopAtEos(options.stopAtEos()) : spec);
  }

  private int blockLength(GenerateOptions options) {
    int length = options.length() > 0 ? options.length() : model.metadata().seqLen();
    if (length < 2) {
      throw new InvalidInputException(
          model.directory() + " does not record its training length; set a length");
    }
    return length;
  }

  /** {@link #generate} with a given sampler (the seam for tests). */
  List<Generated> generate(GenerateOptions options, Sampler sampler) {
    int length = blockLength(options);
    return options.conditioned()
        ? conditioned.generate(options, sampler, length)
        : unconditional(options, sampler, length);
  }

  /** Whether {@code model} is an AR export (causal backbone). */
  static boolean causal(OnnxModel model) {
    return model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
  }

  private List<Generated> unconditional(GenerateOptions options, Sampler sampler, int length) {
    int n = options.number();
    int steps = causal(model) ? length - 1 : options.steps();
    int batch = options.effectiveBatch();
    SpecialTokens specials = model.metadata().specials();
    Rng rng = new Rng(options.seed());
    List<Generated> out = new ArrayList<>(n);
    for (int done = 0; done < n; ) {
      int b = Math.min(batch, n - done);
      Rng batchRng = rng.split();
      long t0 = System.nanoTime();
      SampleBatch s =
          SamplerCalls.call(
              model,
              done,
              b,
              n,
              () -> sampler.sample(model.denoiser(), b, length, specials, batchRng));
      double seconds = (System.nanoTime() - t0) / 1e9;
      int rowLength = s.tokens().length();
      if (s.tokens().batch() != b) {
        throw new IllegalStateException(
            "sampler returned " + s.tokens().batch() + " rows for a batch of " + b);
      }
      for (int row = 0; row < b; row++) {
        int[] ids = Arrays.copyOfRange(s.tokens().ids(), row * rowLength, (row + 1) * rowLength);
        Completion c =
            Completion.of(ids, tokenizer, specials.eos(), options.stopAtEos(), options.stop());
        out.add(
            new Generated(
                done + row,
                tokenizer.decode(ids),
                ids,
                steps,
                s.nfe(),
                b,
                seconds,
                0,
                ids,
                c.text(),
                c.stopReason()));
      }
      done += b;
    }
    return out;
  }

  /** Closes the sessions and frees their native memory (waits for calls in flight). */
  @Override
  public void close() {
    model.close();
  }
}
