package dev.dllm.eval.task;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.metrics.Retokenizer;
import dev.dllm.runtime.onnx.Completion;
import dev.dllm.runtime.onnx.PromptBos;
import dev.dllm.runtime.onnx.PromptLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generate → cut → extract → compare for a GSM8K-format task on any registered family, through the
 * family's own conditional sampler ({@link Sampler#sample(Denoiser, Conditioning, SpecialTokens,
 * Rng[], dev.dllm.api.sample.StepListener)}, with {@link SamplerSpec#withStopAtEos} set). No family
 * is named: the rows are laid out by {@link PromptLayout}, as {@code dllm sample} lays them out,
 * and depend only on {@link Sampler#supportsInfill()}:
 *
 * <ul>
 *   <li>a sampler that only continues a prefix (a causal family) gets rows of max over the batch of
 *       P + N (P the prompt, N {@code maxNewTokens}), capped by the block L: the prompt given,
 *       everything after it free; it stops once every row has generated EOS;
 *   <li>any other sampler gets the whole row R = {@link Sampler#outputLength}(L): the prompt given
 *       at 0 … P − 1, the N positions P … P + N − 1 free, every later position given as EOS (PAD
 *       when the tokenizer has no EOS), so a short answer is generated inside a block padded with
 *       EOS, as SFT trains it.
 * </ul>
 *
 * The prompt is preceded by the BOS of {@code lead} (an export trained in {@code wrap} mode, {@link
 * PromptBos}), or, with none and a prefix-only sampler, an empty prompt is the BOS alone. The
 * completion is the row's tokens P … P + N − 1 cut at the first EOS (or PAD/MASK), decoded, and cut
 * before the first stop string of {@link PromptTemplate#STOP} ({@link Completion}). Prompts are
 * encoded leniently: characters the tokenizer cannot encode are dropped and counted per item; a
 * prompt longer than R − N tokens (L − N for a prefix-only sampler) keeps its last R − N tokens
 * (lm-eval truncates the context on the left too), counted per item.
 *
 * <p>Item i draws only from the i-th split of {@code new Rng(seed)}: its output depends neither on
 * the batch size nor on the items batched with it.
 */
public final class TaskRunner {
  private TaskRunner() {}

  /**
   * How to run.
   *
   * @param spec the sampler spec (steps, top-p, family options); stop at EOS is switched on
   * @param maxNewTokens N, the free positions after each prompt
   * @param batch items sampled together
   * @param seed the seed of the row streams
   * @param warmup whether to draw one untimed row first (session warm-up and JIT)
   */
  public record Options(SamplerSpec spec, int maxNewTokens, int batch, long seed, boolean warmup) {
    public Options {
      if (maxNewTokens < 1) {
        throw new InvalidInputException("--max-new-tokens must be >= 1, got " + maxNewTokens);
      }
      if (batch < 1) {
        throw new InvalidInputException("--batch must be >= 1, got " + batch);
      }
    }
  }

  /**
   * The outcome of one item.
   *
   * @param index its index in the task file
   * @param prompt the prompt text (before any dropped character or truncation)
   * @param promptTokens P, the tokens given
   * @param droppedCharacters characters of the prompt the tokenizer could not encode (dropped)
   * @param truncatedTokens prompt tokens cut on the left to fit the row
   * @param output the completion, cut at EOS and the stop strings
   * @param completionTokens generated tokens before the first EOS (or before the span's end)
   * @param stopReason {@code eos}, {@code stop_string} or {@code length}
   * @param strict the strict-match answer, or null
   * @param flexible the flexible-extract answer, or null
   * @param gold the gold answer
   * @param nfe network calls of the batch the item was drawn in
   */
  public record ItemResult(
      int index,
      String prompt,
      int promptTokens,
      int droppedCharacters,
      int truncatedTokens,
      String output,
      int completionTokens,
      String stopReason,
      String strict,
      String flexible,
      String gold,
      int nfe) {

    public boolean strictCorrect() {
      return AnswerExtractor.matches(strict, gold);
    }

    public boolean flexibleCorrect() {
      return AnswerExtractor.matches(flexible, gold);
    }
  }

  /**
   * Refuses an N that leaves no position for a prompt, before anything is sampled or printed.
   *
   * @param spec the sampler spec of the run (stop at EOS is switched on, as in {@link #run})
   * @param block the export's training length L
   * @param lead the BOS id before each prompt, or -1
   * @param maxNewTokens N
   * @throws InvalidInputException naming {@code --max-new-tokens} when N &gt;= the row's capacity
   */
  public static void checkRoom(
      DiffusionFamily family,
      SamplerSpec spec,
      int block,
      SpecialTokens specials,
      int lead,
      int maxNewTokens) {
    checkRoom(
        family, family.newSampler(spec.withStopAtEos(true)), block, specials, lead, maxNewTokens);
  }

  private static PromptLayout checkRoom(
      DiffusionFamily family, Sampler sampler, int block, SpecialTokens specials, int lead, int n) {
    PromptLayout layout = PromptLayout.of(sampler, block, specials, lead);
    int row = layout.capacity();
    if (n >= row) {
      throw new InvalidInputException(
          "--max-new-tokens "
              + n
              + " leaves no position for the prompt in a row of "
              + row
              + " tokens (family "
              + family.name()
              + ")");
    }
    return layout;
  }

  /**
   * All items and the cost.
   *
   * @param items per item, in order
   * @param rowLength the row R of a non-prefix-only sampler, or the block L for a prefix-only one
   * @param prefixOnly whether the sampler only continues prefixes
   * @param seconds wall clock of the timed sampler calls
   * @param spanTokens Σ N over items: the positions the sampler was asked to generate
   * @param completionTokens Σ completion tokens (before the first EOS)
   */
  public record Result(
      List<ItemResult> items,
      int rowLength,
      boolean prefixOnly,
      double seconds,
      long spanTokens,
      long completionTokens) {

    public int strictCorrect() {
      return (int) items.stream().filter(ItemResult::strictCorrect).count();
    }

    public int flexibleCorrect() {
      return (int) items.stream().filter(ItemResult::flexibleCorrect).count();
    }

    /** Mean over items of their batch's NFE. */
    public double nfeMean() {
      return items.stream().mapToInt(ItemResult::nfe).average().orElse(Double.NaN);
    }

    /** Span positions generated per second of sampler wall clock. */
    public double tokensPerSecond() {
      return seconds > 0 ? spanTokens / seconds : Double.NaN;
    }

    public int itemsWithDroppedCharacters() {
      return (int) items.stream().filter(i -> i.droppedCharacters() > 0).count();
    }

    public long droppedCharacters() {
      return items.stream().mapToLong(ItemResult::droppedCharacters).sum();
    }

    public int truncatedPrompts() {
      return (int) items.stream().filter(i -> i.truncatedTokens() > 0).count();
    }
  }

  private record Encoded(PromptLayout.Row row, int dropped, int truncated) {}

  /**
   * Runs every item with no BOS before the prompts (as for an export trained in {@code pack} or
   * {@code window} mode): {@link #run(DiffusionFamily, Denoiser, Tokenizer, SpecialTokens, int,
   * PromptTemplate, List, Options, int)} with {@code lead} −1.
   */
  public static Result run(
      DiffusionFamily family,
      Denoiser denoiser,
      Tokenizer tokenizer,
      SpecialTokens specials,
      int block,
      PromptTemplate template,
      List<TaskItem> items,
      Options o) {
    return run(family, denoiser, tokenizer, specials, block, template, items, o, -1);
  }

  /**
   * Runs every item.
   *
   * @param block the block length L the denoiser was trained at
   * @param lead the id put before every prompt ({@link PromptBos#id}: the BOS of an export trained
   *     in {@code wrap} mode, as {@code dllm sample} puts it), or −1 for none; it counts in P and
   *     the prompt is truncated to leave room for it
   * @throws InvalidInputException when N leaves no position for a prompt, or the family refuses the
   *     spec or the conditioning
   */
  public static Result run(
      DiffusionFamily family,
      Denoiser denoiser,
      Tokenizer tokenizer,
      SpecialTokens specials,
      int block,
      PromptTemplate template,
      List<TaskItem> items,
      Options o,
      int lead) {
    Sampler sampler = family.newSampler(o.spec().withStopAtEos(true));
    PromptLayout layout = checkRoom(family, sampler, block, specials, lead, o.maxNewTokens());
    boolean prefixOnly = layout.prefixOnly();
    int row = layout.capacity();
    int n = o.maxNewTokens();
    int budget = row - n - (lead >= 0 ? 1 : 0);
    int[] ends = {specials.eos(), specials.pad(), specials.mask()};
    List<Encoded> encoded = new ArrayList<>(items.size());
    List<String> prompts = new ArrayList<>(items.size());
    for (TaskItem item : items) {
      String text = template.prompt(item);
      prompts.add(text);
      Retokenizer.Ids ids = Retokenizer.encodeLenient(tokenizer, text);
      int[] p = ids.ids();
      int cut = 0;
      if (p.length > budget) {
        cut = p.length - budget;
        p = Arrays.copyOfRange(p, cut, p.length);
      }
      PromptLayout.Row r = layout.row(layout.prompt(p), new int[0], n);
      encoded.add(new Encoded(r, ids.droppedCharacters(), cut));
    }
    Rng root = new Rng(o.seed());
    Rng[] streams = Conditioning.rowStreams(root, items.size());
    if (o.warmup() && !items.isEmpty()) {
      Conditioning c = PromptLayout.conditioning(List.of(encoded.get(0).row()));
      sampler.sample(denoiser, c, specials, new Rng[] {new Rng(~o.seed())}, null);
    }
    List<ItemResult> results = new ArrayList<>(items.size());
    long nanos = 0;
    long completion = 0;
    for (int first = 0; first < items.size(); first += o.batch()) {
      int b = Math.min(o.batch(), items.size() - first);
      List<Encoded> group = encoded.subList(first, first + b);
      Conditioning c = PromptLayout.conditioning(group.stream().map(Encoded::row).toList());
      Rng[] rows = Arrays.copyOfRange(streams, first, first + b);
      long t0 = System.nanoTime();
      SampleBatch s = sampler.sample(denoiser, c, specials, rows, null);
      nanos += System.nanoTime() - t0;
      int len = c.length();
      int[] x = s.tokens().ids();
      for (int r = 0; r < b; r++) {
        Encoded e = group.get(r);
        int from = r * len + e.row().prompt();
        Completion done =
            Completion.of(
                Arrays.copyOfRange(x, from, from + e.row().span()),
                tokenizer,
                ends,
                PromptTemplate.STOP);
        String output = done.text();
        completion += done.tokens();
        TaskItem item = items.get(first + r);
        results.add(
            new ItemResult(
                first + r,
                prompts.get(first + r),
                e.row().prompt(),
                e.dropped(),
                e.truncated(),
                output,
                done.tokens(),
                reason(done.stopReason()),
                AnswerExtractor.strict(output),
                AnswerExtractor.flexible(output),
                item.gold(),
                s.nfe()));
      }
    }
    return new Result(results, row, prefixOnly, nanos / 1e9, (long) n * items.size(), completion);
  }

  /**
   * task-eval's name of a {@link Completion#stopReason()}: {@code stop_string} for a stop string.
   */
  private static String reason(String stopReason) {
    return Completion.STOP.equals(stopReason) ? "stop_string" : stopReason;
  }
}
