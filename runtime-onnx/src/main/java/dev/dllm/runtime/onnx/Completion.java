package dev.dllm.runtime.onnx;

import dev.dllm.api.tokenize.Tokenizer;
import java.util.List;

/**
 * The text of a generated span and why it ends: the span's ids are cut at the first EOS (when
 * stopping at EOS), decoded (special ids dropped), and the text is cut before the earliest
 * occurrence of any stop string.
 *
 * @param text the completion
 * @param stopReason {@link #EOS}, {@link #STOP} or {@link #LENGTH}
 * @param tokens ids of the span decoded into the text (before the first EOS); a stop string may end
 *     the text inside them
 */
public record Completion(String text, String stopReason, int tokens) {
  /** The span holds an EOS the model generated; the text stops before it. */
  public static final String EOS = "eos";

  /** The text holds a stop string; the text stops before it. */
  public static final String STOP = "stop";

  /** The span ran to its end (max new tokens, the gap, or the row). */
  public static final String LENGTH = "length";

  /**
   * Cuts {@code span}.
   *
   * @param span ids of the generated positions, in order
   * @param eos the EOS id, or a negative value when the tokenizer has none
   * @param stopAtEos whether the first EOS ends the completion
   * @param stops stop strings (non-empty); the earliest occurrence of any of them ends the text
   */
  public static Completion of(
      int[] span, Tokenizer tokenizer, int eos, boolean stopAtEos, List<String> stops) {
    return of(span, tokenizer, stopAtEos ? new int[] {eos} : new int[0], stops);
  }

  /**
   * Cuts {@code span} at the first of several ids: {@code dllm task-eval} ends a completion at EOS,
   * PAD or MASK alike.
   *
   * @param span ids of the generated positions, in order
   * @param ends ids that end the completion (negative entries, ids the tokenizer lacks, are
   *     ignored); the stop reason of a cut there is {@link #EOS}
   * @param stops stop strings (non-empty); the earliest occurrence of any of them ends the text
   */
  public static Completion of(int[] span, Tokenizer tokenizer, int[] ends, List<String> stops) {
    int end = span.length;
    scan:
    for (int i = 0; i < span.length; i++) {
      for (int e : ends) {
        if (e >= 0 && span[i] == e) {
          end = i;
          break scan;
        }
      }
    }
    int[] kept = end == span.length ? span : java.util.Arrays.copyOf(span, end);
    String text = tokenizer.decode(kept);
    int cut = -1;
    for (String s : stops) {
      int at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    if (cut >= 0) {
      return new Completion(text.substring(0, cut), STOP, end);
    }
    return new Completion(text, end < span.length ? EOS : LENGTH, end);
  }
}
