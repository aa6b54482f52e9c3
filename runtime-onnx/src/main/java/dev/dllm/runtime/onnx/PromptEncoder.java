package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;

/**
 * Strict encoding of prompt text: a character the model's tokenizer cannot encode is an input error
 * naming the character, its code point and its position in the prompt (in characters, i.e. code
 * points, from 0), never silently dropped.
 *
 * <p>Tokenizers that refuse unknown characters (the {@code char} tokenizer's {@code encode} throws)
 * are located exactly: on failure each code point of the text is encoded alone until the first one
 * that fails. Byte-level tokenizers ({@code byte}, {@code gpt2}) encode every character. Training
 * is not affected: the corpus pipeline builds the char vocabulary from the corpus itself.
 */
public final class PromptEncoder {
  private PromptEncoder() {}

  /**
   * The ids of {@code text}, no special tokens added.
   *
   * @param what names the text in a message, e.g. {@code "prompt"} or {@code "suffix of sample 3"}
   * @throws InvalidInputException naming the first character the tokenizer cannot encode
   */
  public static int[] encode(Tokenizer tokenizer, String text, String what) {
    try {
      return tokenizer.encode(text);
    } catch (InvalidInputException e) {
      int position = 0;
      for (int i = 0; i < text.length(); position++) {
        int cp = text.codePointAt(i);
        String one = new String(Character.toChars(cp));
        try {
          tokenizer.encode(one);
        } catch (InvalidInputException single) {
          throw new InvalidInputException(
              String.format(
                  "%s: character %s (U+%04X) at position %d cannot be encoded by the model's %s"
                      + " tokenizer (not in its vocabulary)",
                  what, shown(cp), cp, position, tokenizer.spec()),
              e);
        }
        i += Character.charCount(cp);
      }
      throw new InvalidInputException(what + ": " + e.getMessage(), e);
    }
  }

  /** The character quoted, or its escape when it is invisible (control or white space). */
  static String shown(int cp) {
    return switch (cp) {
      case '\n' -> "'\\n'";
      case '\t' -> "'\\t'";
      case '\r' -> "'\\r'";
      default ->
          Character.isISOControl(cp) || (Character.isWhitespace(cp) && cp != ' ')
              ? "(invisible)"
              : "'" + new String(Character.toChars(cp)) + "'";
    };
  }
}
