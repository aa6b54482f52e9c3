package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/** How a token stream is cut into training rows of L tokens (spec §1.2). */
public enum BlockMode {
  /**
   * [MDLM]/[DUO] wrap: the stream (documents separated by EOS) is cut into pieces of L − 2 tokens,
   * each row is [BOS] + piece + [EOS]; the remainder is dropped.
   */
  WRAP,
  /** [SD]: contiguous blocks of L tokens, no BOS/EOS insertion; the remainder is dropped. */
  PACK,
  /**
   * Training rows are windows of L tokens starting at uniformly random offsets of the stream (every
   * token equally likely to start a window; nanoGPT's {@code get_batch}), a pure function of (seed,
   * step) so a resumed run sees the same rows; validation uses {@link #PACK} blocks.
   */
  WINDOW;

  /**
   * Parses {@code window}, {@code pack} or {@code wrap}.
   *
   * @throws InvalidInputException for anything else
   */
  public static BlockMode parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidInputException("--mode must be window, pack or wrap, got '" + s + "'");
    }
  }

  /** The accepted values as a help text's argument name: {@code wrap|pack|window}. */
  public static String choices() {
    StringBuilder sb = new StringBuilder();
    for (BlockMode m : values()) {
      sb.append(sb.length() == 0 ? "" : "|").append(m.id());
    }
    return sb.toString();
  }

  /**
   * Every mode with what it does, for help texts: "wrap = [BOS] + L-2 tokens + [EOS], pack = ...".
   */
  public static String described() {
    StringBuilder sb = new StringBuilder();
    for (BlockMode m : values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(m.id()).append(" = ").append(m.summary());
    }
    return sb.toString();
  }

  /** What the mode does, in a few words. */
  public String summary() {
    return switch (this) {
      case WRAP -> "[BOS] + L-2 tokens + [EOS]";
      case PACK -> "consecutive blocks of L tokens";
      case WINDOW -> "L tokens at random offsets (validation: pack)";
    };
  }

  /** Lower-case name as used on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
