package dev.dllm.eval.metrics;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * Moves token ids from one tokenizer to another (spec §6.2 {@code _eval_retokenize}): when both
 * tokenizers are the same (equal spec and state) the {@link ScoredIds} (all ids minus PAD and MASK)
 * are kept; otherwise the scored ids are decoded to text with the source tokenizer and encoded with
 * the target one. A target whose vocabulary is closed (the {@code char} tokenizer of another
 * corpus) may not know every character: such characters are dropped and counted, never silently
 * mapped.
 */
public final class Retokenizer {
  private final Tokenizer source;
  private final Tokenizer target;
  private final boolean same;

  /** Ids in the target vocabulary and the number of characters the target could not encode. */
  public record Ids(int[] ids, int droppedCharacters) {}

  public Retokenizer(Tokenizer source, Tokenizer target) {
    this.source = source;
    this.target = target;
    this.same = sameTokenizer(source, target);
  }

  /** Whether the two tokenizers give identical ids (same spec and same state). */
  public static boolean sameTokenizer(Tokenizer a, Tokenizer b) {
    return a.spec().equals(b.spec()) && a.state().equals(b.state());
  }

  /** Whether ids are decoded and re-encoded (false: the tokenizers are the same). */
  public boolean retokenizes() {
    return !same;
  }

  /** {@code ids} of the source tokenizer in the target tokenizer. */
  public Ids convert(int[] ids) {
    int[] scored = ScoredIds.of(ids, source.specials());
    if (same) {
      return new Ids(scored, 0);
    }
    return encodeLenient(target, source.decode(scored));
  }

  /**
   * Encodes {@code text}; when the tokenizer rejects it (a character outside a closed vocabulary),
   * encodes code point by code point and drops the ones it rejects (each distinct code point is
   * encoded once: a megabyte of text with many unknown characters takes milliseconds, not the
   * minute that an exception per character cost).
   */
  public static Ids encodeLenient(Tokenizer tok, String text) {
    try {
      return new Ids(tok.encode(text), 0);
    } catch (InvalidInputException e) {
      int[] out = new int[text.length()];
      int n = 0;
      int dropped = 0;
      java.util.Map<Integer, int[]> known = new java.util.HashMap<>();
      int[] rejectedMark = new int[0];
      for (int i = 0; i < text.length(); ) {
        int cp = text.codePointAt(i);
        i += Character.charCount(cp);
        int[] ids =
            known.computeIfAbsent(
                cp,
                c -> {
                  try {
                    return tok.encode(new String(Character.toChars(c)));
                  } catch (InvalidInputException rejected) {
                    return rejectedMark;
                  }
                });
        if (ids == rejectedMark) {
          dropped++;
          continue;
        }
        for (int id : ids) {
          if (n == out.length) {
            out = Arrays.copyOf(out, out.length * 2 + 1);
          }
          out[n++] = id;
        }
      }
      return new Ids(Arrays.copyOf(out, n), dropped);
    }
  }
}
