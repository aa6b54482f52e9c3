package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Family-agnostic options of {@link DllmGenerator#generate}. Immutable; start from {@link
 * #defaults()} and change fields with the {@code with…} methods.
 *
 * <p>Without prompts and without {@code maxNewTokens} a request draws unconditional rows exactly as
 * before prompts existed. With either, every sample is conditioned: its prompt is given at
 * positions 0 … P − 1 (after the tokenizer's BOS for a {@code wrap}-trained export, see {@link
 * #bos}) and {@code maxNewTokens} positions after it are generated (see {@link
 * DllmGenerator#generate}).
 *
 * @param number samples to draw, N &gt;= 1
 * @param steps denoising steps T &gt;= 1 (causal families such as AR always take L - 1)
 * @param seed random seed; the same seed, options and export give the same samples
 * @param topP nucleus mass in (0, 1]; 1 disables top-p
 * @param batch rows sampled together per network call, or 0 for min(N, 16)
 * @param length block length L the network sees, or 0 for the export's training length
 * @param familyOptions the family's own sampler options, e.g. {@code predictor=ancestral}, {@code
 *     strides=3}, {@code stride_length=128} (MDLM) or {@code kv_cache=false} (AR); an unknown key
 *     is refused by the family
 * @param prompts none (unconditional), one for all samples, or one per sample (N)
 * @param maxNewTokens tokens generated after each prompt, or 0 for the rest of the row (a request's
 *     own {@link Prompt#length()} takes precedence)
 * @param stop strings that end a completion (the completion is cut before the first one found)
 * @param stopAtEos whether a completion ends at the first EOS the model generated (default true; a
 *     causal sampler then also stops early once every row of a batch has produced EOS)
 * @param bos whether the tokenizer's BOS is put before every prompt (and infill prefix): null (the
 *     default) for the automatic rule of {@link PromptBos} (exactly when the export was trained in
 *     {@code wrap} block mode and the tokenizer has a BOS id), true or false to force it
 */
public record GenerateOptions(
    int number,
    int steps,
    long seed,
    double topP,
    int batch,
    int length,
    Map<String, String> familyOptions,
    List<Prompt> prompts,
    int maxNewTokens,
    List<String> stop,
    boolean stopAtEos,
    Boolean bos) {
  public GenerateOptions {
    familyOptions = Map.copyOf(familyOptions);
    prompts = List.copyOf(prompts);
    stop = List.copyOf(stop);
    if (number < 1) {
      throw new InvalidInputException("number of samples must be >= 1, got " + number);
    }
    if (steps < 1) {
      throw new InvalidInputException("steps must be >= 1, got " + steps);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("top-p must be in (0, 1], got " + topP);
    }
    if (batch < 0) {
      throw new InvalidInputException("batch must be >= 1 (or 0 for the default), got " + batch);
    }
    if (length < 0 || length == 1) {
      throw new InvalidInputException(
          "length must be >= 2 (or 0 for the export's length), got " + length);
    }
    if (maxNewTokens < 0) {
      throw new InvalidInputException(
          "max new tokens must be >= 1 (or 0 for the rest of the row), got " + maxNewTokens);
    }
    if (prompts.size() > 1 && prompts.size() != number) {
      throw new InvalidInputException(
          prompts.size()
              + " prompts for "
              + number
              + " samples: give one prompt for all samples or one per sample");
    }
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new InvalidInputException("a stop string must not be empty");
      }
    }
  }

  /** The options with the automatic BOS rule ({@code bos} null). */
  public GenerateOptions(
      int number,
      int steps,
      long seed,
      double topP,
      int batch,
      int length,
      Map<String, String> familyOptions,
      List<Prompt> prompts,
      int maxNewTokens,
      List<String> stop,
      boolean stopAtEos) {
    this(
        number,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        null);
  }

  /** The options without prompts or stop settings (unconditional rows), stopping at EOS. */
  public GenerateOptions(
      int number,
      int steps,
      long seed,
      double topP,
      int batch,
      int length,
      Map<String, String> familyOptions) {
    this(number, steps, seed, topP, batch, length, familyOptions, List.of(), 0, List.of(), true);
  }

  /**
   * One sample, 64 steps, seed 0, no top-p, default batch and length, no family options, no prompt,
   * the whole row, no stop strings, stop at EOS.
   */
  public static GenerateOptions defaults() {
    return new GenerateOptions(1, 64, 0L, 1.0, 0, 0, Map.of());
  }

  public GenerateOptions withNumber(int n) {
    return new GenerateOptions(
        n,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  public GenerateOptions withSteps(int t) {
    return new GenerateOptions(
        number,
        t,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  public GenerateOptions withSeed(long s) {
    return new GenerateOptions(
        number,
        steps,
        s,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  public GenerateOptions withTopP(double p) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        p,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  public GenerateOptions withBatch(int b) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        b,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  public GenerateOptions withLength(int l) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        batch,
        l,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  /** These options plus the family option {@code key=value}. */
  public GenerateOptions withOption(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(familyOptions);
    m.put(key, value);
    return new GenerateOptions(
        number, steps, seed, topP, batch, length, m, prompts, maxNewTokens, stop, stopAtEos, bos);
  }

  /** One prompt to continue, the same for every sample. */
  public GenerateOptions withPrompt(String text) {
    return withRequests(List.of(Prompt.of(text)));
  }

  /** Prompts to continue: one for all samples, or one per sample (in sample order). */
  public GenerateOptions withPrompts(List<String> texts) {
    List<Prompt> p = new ArrayList<>(texts.size());
    for (String t : texts) {
      p.add(Prompt.of(t));
    }
    return withRequests(p);
  }

  /** Fill-in-the-middle, the same for every sample: {@code middle} tokens between the two. */
  public GenerateOptions withInfill(String prefix, String suffix, int middle) {
    return withRequests(List.of(Prompt.infill(prefix, suffix, middle)));
  }

  /** Requests (continuations or infills): one for all samples, or one per sample. */
  public GenerateOptions withRequests(List<Prompt> requests) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        requests,
        maxNewTokens,
        stop,
        stopAtEos,
        bos);
  }

  /**
   * At most {@code n} generated tokens after each prompt.
   *
   * @throws InvalidInputException when {@code n < 1}
   */
  public GenerateOptions withMaxNewTokens(int n) {
    if (n < 1) {
      throw new InvalidInputException("max new tokens must be >= 1, got " + n);
    }
    return new GenerateOptions(
        number, steps, seed, topP, batch, length, familyOptions, prompts, n, stop, stopAtEos, bos);
  }

  /** Completions end before the first of these strings. */
  public GenerateOptions withStop(String... strings) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        Arrays.asList(strings),
        stopAtEos,
        bos);
  }

  /** Whether completions end at the first generated EOS (default true). */
  public GenerateOptions withStopAtEos(boolean stopAt) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAt,
        bos);
  }

  /**
   * Whether the tokenizer's BOS goes before every prompt: null for the automatic rule ({@link
   * PromptBos}: exactly for an export trained in {@code wrap} block mode whose tokenizer has a BOS
   * id), true or false to force it (a sampler that only continues a prefix still starts an empty
   * prompt from BOS). Unconditional rows are not affected.
   */
  public GenerateOptions withBos(Boolean before) {
    return new GenerateOptions(
        number,
        steps,
        seed,
        topP,
        batch,
        length,
        familyOptions,
        prompts,
        maxNewTokens,
        stop,
        stopAtEos,
        before);
  }

  /** The batch actually used: {@link #batch}, or min(N, 16) when 0. */
  public int effectiveBatch() {
    return batch > 0 ? batch : Math.min(number, 16);
  }

  /**
   * Whether samples are conditioned (prompts or a maximum of new tokens); otherwise they are drawn
   * unconditionally.
   */
  public boolean conditioned() {
    return !prompts.isEmpty() || maxNewTokens > 0;
  }

  /** The request of sample {@code i}: its own, the one for all, or an empty prompt. */
  public Prompt prompt(int i) {
    if (prompts.isEmpty()) {
      return Prompt.of("");
    }
    return prompts.size() == 1 ? prompts.get(0) : prompts.get(i);
  }
}
