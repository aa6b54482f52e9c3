package dev.dllm.runtime.onnx;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The conditioned branch of {@link DllmGenerator#generate}: the samples planned by {@link
 * PromptPlanner}, batched by row length, sampled given their conditioning (sample i from the i-th
 * split of the seed), checked to keep every given token, and cut to their own prompt and span.
 */
final class ConditionedGeneration {
  private final OnnxModel model;
  private final Tokenizer tokenizer;
  private final PromptPlanner planner;

  /**
   * @param model the opened export
   * @param tokenizer its tokenizer, which decodes the samples
   * @param planner the prompt layout of the same model and tokenizer
   */
  ConditionedGeneration(OnnxModel model, Tokenizer tokenizer, PromptPlanner planner) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.planner = planner;
  }

  /** Draws the conditioned samples of {@code options} (see {@link DllmGenerator#generate}). */
  List<Generated> generate(GenerateOptions options, Sampler sampler, int length) {
    int n = options.number();
    List<PromptLayout.Row> plan = planner.plan(options, sampler, length);
    boolean prefixOnly = !sampler.supportsInfill();
    boolean causal = DllmGenerator.causal(model);
    SpecialTokens specials = model.metadata().specials();
    Rng[] streams = Conditioning.rowStreams(new Rng(options.seed()), n);
    int batch = options.effectiveBatch();
    List<Generated> out = new ArrayList<>(n);
    for (int done = 0; done < n; ) {
      int b = 1;
      while (b < batch
          && done + b < n
          && (prefixOnly || plan.get(done + b).rowLength() == plan.get(done).rowLength())) {
        b++;
      }
      int rowLength = 0;
      for (int r = 0; r < b; r++) {
        rowLength = Math.max(rowLength, plan.get(done + r).rowLength());
      }
      Conditioning cond = PromptLayout.conditioning(plan.subList(done, done + b));
      Rng[] rows = Arrays.copyOfRange(streams, done, done + b);
      int from = done;
      int size = b;
      long t0 = System.nanoTime();
      SampleBatch s =
          SamplerCalls.call(
              model,
              from,
              size,
              n,
              () -> sampler.sample(model.denoiser(), cond, specials, rows, null));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (s.tokens().batch() != b || s.tokens().length() != rowLength) {
        throw new IllegalStateException(
            "sampler returned ["
                + s.tokens().batch()
                + ", "
                + s.tokens().length()
                + "] for a conditioning of ["
                + b
                + ", "
                + rowLength
                + "]");
      }
      for (int r = 0; r < b; r++) {
        PromptLayout.Row p = plan.get(done + r);
        int[] ids = Arrays.copyOfRange(s.tokens().ids(), r * rowLength, (r + 1) * rowLength);
        for (int l = 0; l < rowLength; l++) {
          if (cond.isGiven(r, l) && ids[l] != cond.id(r, l)) {
            throw new IllegalStateException(
                "sampler changed the given token at row "
                    + (done + r)
                    + ", position "
                    + l
                    + " ("
                    + cond.id(r, l)
                    + " -> "
                    + ids[l]
                    + ")");
          }
        }
        // a prefix-only batch runs to its longest row; the sample is its own P + span tokens, so
        // that its ids, text and steps do not depend on the rows batched with it
        ids = Arrays.copyOf(ids, p.rowLength());
        int[] span = Arrays.copyOfRange(ids, p.prompt(), p.prompt() + p.span());
        Completion c =
            Completion.of(span, tokenizer, specials.eos(), options.stopAtEos(), options.stop());
        out.add(
            new Generated(
                done + r,
                tokenizer.decode(ids),
                ids,
                causal ? p.span() : options.steps(),
                s.nfe(),
                b,
                seconds,
                p.prompt(),
                span,
                c.text(),
                c.stopReason()));
      }
      done += b;
    }
    return out;
  }
}
