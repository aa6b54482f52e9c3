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

  /** Lower-case name as used on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
