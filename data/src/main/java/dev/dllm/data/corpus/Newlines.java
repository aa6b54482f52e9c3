package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/**
 * What the corpus reader does with line ends ({@code --newlines}): {@link #LF} (the default) turns
 * every CRLF ({@code \r\n}) and every lone CR into LF ({@code \n}) before tokenizing, so a Windows
 * corpus (all of Project Gutenberg) trains on the same text as a Unix one and its samples hold no
 * {@code \r} tokens; {@link #KEEP} tokenizes the bytes as they are. The mode is part of the token
 * cache key and is recorded with the run ({@code run_config.newlines}) and its export ({@code
 * training.newlines}); a run stored before the option existed read its corpus as {@link #KEEP}.
 */
public enum Newlines {
  /** Line ends as in the file. */
  KEEP,
  /** CRLF and lone CR become LF. */
  LF;

  /** The default of {@code dllm train}, {@code tokenize} and {@code eval --data}. */
  public static final Newlines DEFAULT = LF;

  /**
   * Parses {@code keep} or {@code lf}.
   *
   * @throws InvalidInputException naming {@code --newlines} for anything else
   */
  public static Newlines parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidInputException("--newlines must be " + choices() + ", got '" + s + "'");
    }
  }

  /** The accepted values: {@code keep|lf}. */
  public static String choices() {
    StringBuilder sb = new StringBuilder();
    for (Newlines n : values()) {
      sb.append(sb.length() == 0 ? "" : "|").append(n.id());
    }
    return sb.toString();
  }

  /** Lower-case name as used on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A fresh normaliser for one document (its state carries a CR across chunk boundaries). */
  Normalizer normalizer() {
    return new Normalizer(this == LF);
  }

  /** Rewrites the chunks of one document; {@link #flush} at its end. */
  static final class Normalizer {
    private final boolean lf;
    private boolean pendingCr;

    private Normalizer(boolean lf) {
      this.lf = lf;
    }

    /** The chunk with its line ends rewritten (a trailing CR waits for the next chunk). */
    String apply(String chunk) {
      if (!lf || (chunk.indexOf('\r') < 0 && !pendingCr)) {
        return chunk;
      }
      StringBuilder sb = new StringBuilder(chunk.length() + 1);
      for (int i = 0; i < chunk.length(); i++) {
        char c = chunk.charAt(i);
        if (pendingCr) {
          pendingCr = false;
          sb.append('\n');
          if (c == '\n') {
            continue;
          }
        }
        if (c == '\r') {
          pendingCr = true;
        } else {
          sb.append(c);
        }
      }
      return sb.toString();
    }

    /** What the document still owes at its end: LF for a final CR, else nothing. */
    String flush() {
      boolean cr = pendingCr;
      pendingCr = false;
      return cr ? "\n" : "";
    }
  }
}
