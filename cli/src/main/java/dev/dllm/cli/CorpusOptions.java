package dev.dllm.cli;

import dev.dllm.data.corpus.Newlines;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * {@code --newlines keep|lf}, shared by the commands that read a corpus (train, tokenize, eval).
 */
final class CorpusOptions {
  private CorpusOptions() {}

  /** The option, its values and default taken from {@link Newlines}. */
  static Option newlinesOption() {
    return CliOptions.opt(
        "newlines",
        Newlines.choices(),
        "line ends of the corpus as read: lf = CRLF and lone CR become LF (default "
            + Newlines.DEFAULT.id()
            + "), keep = as in the file");
  }

  /**
   * The value of {@code --newlines}, or {@code fallback} when absent.
   *
   * @throws dev.dllm.api.InvalidInputException for another value
   */
  static Newlines newlines(CommandLine cmd, Newlines fallback) {
    String v = cmd.getOptionValue("newlines");
    return v == null ? fallback : Newlines.parse(v);
  }
}
