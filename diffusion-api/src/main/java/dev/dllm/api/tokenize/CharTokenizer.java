package dev.dllm.api.tokenize;

import dev.dllm.api.InvalidInputException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Character-level tokenizer (spec {@code char}): the vocabulary is the sorted set of Unicode code
 * points of a corpus sample, ids 0..n−1; then BOS = n, EOS = n+1, PAD = n+2, MASK = n+3, so V =
 * n+4. The vocabulary is part of {@link #state()} (key {@code chars}: the code points in id order
 * as one string), so a model restores it exactly.
 */
public final class CharTokenizer implements Tokenizer {

  /** State key holding the vocabulary: the code points in id order, concatenated. */
  public static final String STATE_CHARS = "chars";

  private final int[] codePoints;
  private final int[] bmpIds;
  private final Map<Integer, Integer> otherIds = new HashMap<>();
  private final SpecialTokens specials;

  private CharTokenizer(int[] sortedCodePoints) {
    if (sortedCodePoints.length == 0) {
      throw new InvalidInputException("char tokenizer: the corpus sample has no characters");
    }
    this.codePoints = sortedCodePoints;
    this.bmpIds = new int[0x10000];
    Arrays.fill(bmpIds, -1);
    for (int id = 0; id < codePoints.length; id++) {
      int cp = codePoints[id];
      if (cp < 0x10000) {
        bmpIds[cp] = id;
      } else {
        otherIds.put(cp, id);
      }
    }
    int n = codePoints.length;
    this.specials = new SpecialTokens(n, n + 1, n + 2, n + 3);
  }

  /** Vocabulary = sorted distinct code points of {@code sample}. */
  public static CharTokenizer fromSample(CharSequence sample) {
    if (sample == null) {
      throw new InvalidInputException(
          "char tokenizer needs a corpus sample (or stored state '" + STATE_CHARS + "')");
    }
    return new CharTokenizer(sample.codePoints().distinct().sorted().toArray());
  }

  /**
   * Restores a vocabulary stored by {@link #state()}.
   *
   * @throws InvalidInputException when the state lacks {@code chars} or is not sorted and distinct
   */
  public static CharTokenizer fromState(Map<String, String> state) {
    String chars = state.get(STATE_CHARS);
    if (chars == null) {
      throw new InvalidInputException(
          "char tokenizer state has no '" + STATE_CHARS + "' entry; keys: " + state.keySet());
    }
    int[] cps = chars.codePoints().toArray();
    for (int i = 1; i < cps.length; i++) {
      if (cps[i] <= cps[i - 1]) {
        throw new InvalidInputException(
            "char tokenizer state '" + STATE_CHARS + "' is not sorted/distinct at index " + i);
      }
    }
    return new CharTokenizer(cps);
  }

  @Override
  public String spec() {
    return "char";
  }

  @Override
  public int vocabSize() {
    return codePoints.length + 4;
  }

  /** Number of characters in the vocabulary (V − 4). */
  public int characters() {
    return codePoints.length;
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  /**
   * @throws InvalidInputException naming the first character that is not in the vocabulary
   */
  @Override
  public int[] encode(String text) {
    int[] out = new int[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int id;
      if (cp < 0x10000) {
        id = bmpIds[cp];
      } else {
        Integer boxed = otherIds.get(cp);
        id = boxed == null ? -1 : boxed;
      }
      if (id < 0) {
        throw new InvalidInputException(
            String.format(
                "character '%s' (U+%04X) at char offset %d is not in the char vocabulary"
                    + " (%d characters built from the corpus)",
                new String(Character.toChars(cp)), cp, i, codePoints.length));
      }
      out[n++] = id;
      i += Character.charCount(cp);
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /**
   * @throws IllegalArgumentException for an id outside [0, V)
   */
  @Override
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length);
    for (int id : ids) {
      if (id >= 0 && id < codePoints.length) {
        sb.appendCodePoint(codePoints[id]);
      } else if (id < 0 || id >= vocabSize()) {
        throw new IllegalArgumentException("token id " + id + " outside [0, " + vocabSize() + ")");
      }
    }
    return sb.toString();
  }

  @Override
  public Map<String, String> state() {
    return Map.of(STATE_CHARS, new String(codePoints, 0, codePoints.length));
  }
}
