package dev.dllm.runtime.onnx;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.List;

/**
 * Where a prompt and the span to generate after it go in a row, the one layout that {@code dllm
 * sample} ({@link DllmGenerator}) and {@code dllm task-eval} ({@code TaskRunner}) share. What a row
 * looks like depends only on {@link Sampler#supportsInfill()}:
 *
 * <ul>
 *   <li>a sampler that only continues a prefix (a causal family) gets the prompt given at 0 … P − 1
 *       and the span after it free, P + span ≤ the block L; a batch runs to its longest row, the
 *       shorter rows free to its end;
 *   <li>any other sampler gets the whole row R = {@link Sampler#outputLength}(L): the prompt at 0 …
 *       P − 1, the span free, an infill suffix right after the span, and every later position given
 *       as EOS (PAD when the tokenizer has no EOS), so a short answer is generated inside a block
 *       padded with EOS, as SFT trains it; with neither EOS nor PAD the row ends after the suffix.
 * </ul>
 *
 * The prompt is preceded by {@code lead} (the BOS {@link PromptBos#id} asks for, −1 for none); with
 * none, an empty prompt of a prefix-only sampler becomes the tokenizer's BOS (something to continue
 * from). Capacity is the caller's to check ({@link #capacity()}); the span is then cut by {@link
 * Completion}.
 */
public final class PromptLayout {
  private final boolean prefixOnly;
  private final int block;
  private final int row;
  private final int tail;
  private final int bos;
  private final int lead;

  private PromptLayout(boolean prefixOnly, int block, int row, int tail, int bos, int lead) {
    this.prefixOnly = prefixOnly;
    this.block = block;
    this.row = row;
    this.tail = tail;
    this.bos = bos;
    this.lead = lead;
  }

  /**
   * The layout of {@code sampler}'s rows.
   *
   * @param block the block length L the model was trained at
   * @param specials the tokenizer's special ids (EOS/PAD tail, BOS of an empty prefix)
   * @param lead the id put before every prompt ({@link PromptBos#id}), or −1 for none
   */
  public static PromptLayout of(Sampler sampler, int block, SpecialTokens specials, int lead) {
    boolean prefixOnly = !sampler.supportsInfill();
    int row = prefixOnly ? block : sampler.outputLength(block);
    int tail = specials.eos() >= 0 ? specials.eos() : specials.pad();
    return new PromptLayout(prefixOnly, block, row, tail, specials.bos(), lead);
  }

  /**
   * One row before sampling.
   *
   * @param given the row's given ids ({@link Conditioning#FREE} at free positions): for a
   *     prefix-only sampler the prompt alone (the batch pads it with free positions), otherwise the
   *     whole row
   * @param prompt P, the tokens before the span (the BOS before the prompt included)
   * @param span the span's length (new tokens), at positions P … P + span − 1
   * @param rowLength the row this sample needs: P + span for a prefix-only sampler, else the row
   */
  public record Row(int[] given, int prompt, int span, int rowLength) {}

  /** Whether the sampler only continues prefixes. */
  public boolean prefixOnly() {
    return prefixOnly;
  }

  /** The block length L. */
  public int block() {
    return block;
  }

  /**
   * The most tokens a row holds, prompt, span and suffix together: L for a prefix-only sampler,
   * else R = {@link Sampler#outputLength}(L).
   */
  public int capacity() {
    return row;
  }

  /** The id put before every prompt, or −1 for none. */
  public int lead() {
    return lead;
  }

  /** How many tokens {@link #prompt} puts before a prompt of {@code textTokens} tokens. */
  public int leadTokens(int textTokens) {
    if (lead >= 0) {
      return 1;
    }
    return prefixOnly && textTokens == 0 && bos >= 0 ? 1 : 0;
  }

  /** {@code text} with the BOS this layout puts before it (see the class comment). */
  public int[] prompt(int[] text) {
    if (lead >= 0) {
      return PromptBos.prepend(lead, text);
    }
    if (prefixOnly && text.length == 0 && bos >= 0) {
      return new int[] {bos};
    }
    return text;
  }

  /**
   * The row of a prompt, a span and a suffix.
   *
   * @param prompt the prompt's ids as given, its BOS included ({@link #prompt})
   * @param suffix the infill suffix (empty for none; only for a sampler that supports infilling)
   * @param span the new tokens; prompt + span + suffix must fit {@link #capacity()}
   * @throws IllegalArgumentException when they do not fit, or a prefix-only sampler gets a suffix
   */
  public Row row(int[] prompt, int[] suffix, int span) {
    int given = prompt.length + suffix.length;
    if (span < 1 || given + span > row) {
      throw new IllegalArgumentException(
          given + " given tokens and a span of " + span + " do not fit a row of " + row);
    }
    if (prefixOnly) {
      if (suffix.length > 0) {
        throw new IllegalArgumentException("a prefix-only sampler takes no suffix");
      }
      return new Row(prompt.clone(), prompt.length, span, prompt.length + span);
    }
    int rowLength = tail >= 0 ? row : given + span;
    int[] ids = new int[rowLength];
    Arrays.fill(ids, tail);
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    Arrays.fill(ids, prompt.length, prompt.length + span, Conditioning.FREE);
    System.arraycopy(suffix, 0, ids, prompt.length + span, suffix.length);
    return new Row(ids, prompt.length, span, rowLength);
  }

  /**
   * The conditioning of a batch of rows: each row's given ids, padded with free positions to the
   * longest row.
   */
  public static Conditioning conditioning(List<Row> rows) {
    int length = rows.stream().mapToInt(Row::rowLength).max().orElse(0);
    int[] ids = new int[rows.size() * length];
    Arrays.fill(ids, Conditioning.FREE);
    for (int r = 0; r < rows.size(); r++) {
      int[] g = rows.get(r).given();
      System.arraycopy(g, 0, ids, r * length, g.length);
    }
    return Conditioning.of(ids, rows.size(), length);
  }
}
