package dev.dllm.data.sft;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Supervised fine-tuning pairs as blocks of L tokens: {@code prompt ids + response ids + EOS},
 * padded with EOS to L (so the model learns to stop), with the given mask true at the prompt
 * positions only ({@link dev.dllm.api.train.TrainingBatch#given}: never corrupted, never scored;
 * the response and every EOS after it are the targets). Prompt and response are encoded separately
 * (as SMDM and dLLM do) and no BOS is added: a block starts with the prompt's first token, which is
 * how a sampler is given the same prompt.
 *
 * <p>A pair that needs more than L tokens (prompt + response + one EOS) is skipped, never
 * truncated: a truncated response teaches the model to stop mid-answer, or never to stop. Skipped
 * pairs are counted ({@link #skipped()}, in the report), and {@link #requireSkippedAtMost} refuses
 * a file where more than a given share is skipped, naming the L that would fit. A character the
 * tokenizer cannot encode (a closed char vocabulary) is an error naming the file, the line, the
 * field and the character: silently dropping characters would change the task (digits of a GSM8K
 * answer, for instance).
 */
public final class SftBlocks {
  private final Path file;
  private final int length;
  private final int[] ids;
  private final boolean[] given;
  private final int size;
  private final int pairs;
  private final int[] skippedLines;
  private final int[] needed;
  private final long promptTokens;
  private final long responseTokens;

  private SftBlocks(
      Path file,
      int length,
      int[] ids,
      boolean[] given,
      int size,
      int pairs,
      int[] skippedLines,
      int[] needed,
      long promptTokens,
      long responseTokens) {
    this.file = file;
    this.length = length;
    this.ids = ids;
    this.given = given;
    this.size = size;
    this.pairs = pairs;
    this.skippedLines = skippedLines;
    this.needed = needed;
    this.promptTokens = promptTokens;
    this.responseTokens = responseTokens;
  }

  /**
   * Encodes {@code pairs} of {@code file} into blocks of {@code length}.
   *
   * @throws InvalidInputException when the tokenizer has no EOS, a prompt encodes to no token, or a
   *     character cannot be encoded (naming file, line, field and character)
   */
  public static SftBlocks build(Path file, List<SftPair> pairs, Tokenizer tokenizer, int length) {
    if (length < 2) {
      throw new InvalidInputException("--seq-len must be >= 2, got " + length);
    }
    int eos = tokenizer.specials().eos();
    if (eos < 0) {
      throw new InvalidInputException(
          "tokenizer " + tokenizer.spec() + " has no EOS id; fine-tuning pads responses with EOS");
    }
    int n = pairs.size();
    int[] ids = new int[Math.multiplyExact(n, length)];
    boolean[] given = new boolean[ids.length];
    int[] needed = new int[n];
    int[] skipped = new int[n];
    int kept = 0;
    int skippedCount = 0;
    long promptTokens = 0;
    long responseTokens = 0;
    for (int i = 0; i < n; i++) {
      SftPair p = pairs.get(i);
      int[] prompt = encode(file, p, p.promptField(), p.prompt(), tokenizer);
      int[] response = encode(file, p, p.responseField(), p.response(), tokenizer);
      if (prompt.length == 0) {
        throw new InvalidInputException(
            file + ":" + p.line() + ": field \"" + p.promptField() + "\" is empty");
      }
      needed[i] = prompt.length + response.length + 1;
      if (needed[i] > length) {
        skipped[skippedCount++] = p.line();
        continue;
      }
      int off = kept * length;
      System.arraycopy(prompt, 0, ids, off, prompt.length);
      System.arraycopy(response, 0, ids, off + prompt.length, response.length);
      Arrays.fill(ids, off + prompt.length + response.length, off + length, eos);
      Arrays.fill(given, off, off + prompt.length, true);
      promptTokens += prompt.length;
      responseTokens += response.length;
      kept++;
    }
    return new SftBlocks(
        file,
        length,
        Arrays.copyOf(ids, kept * length),
        Arrays.copyOf(given, kept * length),
        kept,
        n,
        Arrays.copyOf(skipped, skippedCount),
        needed,
        promptTokens,
        responseTokens);
  }

  private static int[] encode(Path file, SftPair p, String field, String text, Tokenizer tok) {
    try {
      return tok.encode(text);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(
          file + ":" + p.line() + ": field \"" + field + "\": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses the file when more than {@code maxPercent} % of its pairs are skipped, or all of them.
   *
   * @param option the option that sets the bound, for the message (e.g. {@code --max-skip})
   * @throws InvalidInputException naming the file, the counts, the longest pair and the L that
   *     would keep all but {@code maxPercent} %
   */
  public void requireSkippedAtMost(double maxPercent, String option) {
    double pct = 100.0 * skippedLines.length / pairs;
    if (size > 0 && pct <= maxPercent) {
      return;
    }
    int[] sorted = needed.clone();
    Arrays.sort(sorted);
    int keep = (int) Math.ceil(pairs * (1 - Math.min(maxPercent, 100) / 100.0));
    int fits = sorted[Math.max(0, Math.min(sorted.length - 1, keep - 1))];
    throw new InvalidInputException(
        String.format(
            Locale.ROOT,
            "%s: %d of %d pairs (%.1f%%) need more than --seq-len %d tokens (prompt + response +"
                + " EOS; the longest needs %d, first skipped at line %d); skipping more than"
                + " %s%% is refused: use --seq-len %d, or allow it with %s",
            file,
            skippedLines.length,
            pairs,
            pct,
            length,
            sorted[sorted.length - 1],
            skippedLines.length > 0 ? skippedLines[0] : 0,
            trim(maxPercent),
            Math.max(fits, 2),
            option));
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** L. */
  public int length() {
    return length;
  }

  /** Number of blocks (pairs kept). */
  public int size() {
    return size;
  }

  /** Number of pairs read (kept + skipped). */
  public int pairs() {
    return pairs;
  }

  /** Lines of the skipped pairs, in file order. */
  public int[] skipped() {
    return skippedLines.clone();
  }

  /** Prompt tokens over the kept pairs. */
  public long promptTokens() {
    return promptTokens;
  }

  /** Response tokens over the kept pairs (without the EOS padding). */
  public long responseTokens() {
    return responseTokens;
  }

  /** Tokens the longest pair needs (prompt + response + EOS), kept or not. */
  public int longestNeeded() {
    int m = 0;
    for (int v : needed) {
      m = Math.max(m, v);
    }
    return m;
  }

  /**
   * Copies blocks {@code idx} into {@code idsOut} and {@code givenOut} (row-major {@code [n, L]}).
   */
  public void rows(int[] idx, int[] idsOut, boolean[] givenOut) {
    for (int r = 0; r < idx.length; r++) {
      System.arraycopy(ids, idx[r] * length, idsOut, r * length, length);
      System.arraycopy(given, idx[r] * length, givenOut, r * length, length);
    }
  }

  /** Counts for a report: file, pairs, kept, skipped (and their first lines), tokens. */
  public Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file.toAbsolutePath().normalize().toString());
    m.put("pairs", pairs);
    m.put("blocks", size);
    m.put("skipped", skippedLines.length);
    m.put("skipped_lines", Arrays.stream(skippedLines).limit(20).boxed().toList());
    m.put("prompt_tokens", promptTokens);
    m.put("response_tokens", responseTokens);
    m.put("longest_needed", longestNeeded());
    return m;
  }
}
