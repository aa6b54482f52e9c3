package dev.dllm.eval.likelihood;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Undoes the word-level tokenisation of the zero-shot corpora before a model's own tokenizer sees
 * them (as zero-shot evaluation in the MDLM line of work does): WikiText-2 writes every token
 * separated by spaces with {@code @-@}, {@code @,@}, {@code @.@} inside numbers and compounds; PTB
 * is lower-cased with {@code N} for numbers and split clitics. The rules below are our own; they
 * join punctuation and clitics to their word and leave {@code <unk>} as it is.
 */
public enum Detokenizer {
  /** Text used as it is. */
  NONE(s -> s),
  /** WikiText ({@code wiki.*.tokens}). */
  WIKITEXT(Detokenizer::wikitext),
  /** Penn Treebank ({@code ptb.*.txt}). */
  PTB(Detokenizer::ptb);

  private final UnaryOperator<String> rule;

  Detokenizer(UnaryOperator<String> rule) {
    this.rule = rule;
  }

  /** The detokenized text. */
  public String apply(String text) {
    return rule.apply(text);
  }

  /** Lower-case name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code none}, {@code wikitext}, {@code ptb} or {@code auto} (by file name: {@code wiki*}
   * → wikitext, {@code ptb*} → ptb, else none).
   *
   * @throws InvalidInputException for another name
   */
  public static Detokenizer parse(String name, Path file) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("auto")) {
      return forFile(file);
    }
    for (Detokenizer d : values()) {
      if (d.id().equals(n)) {
        return d;
      }
    }
    throw new InvalidInputException(
        "--detokenizer must be auto, none, wikitext or ptb, got '" + name + "'");
  }

  /** The detokenizer a file name implies. */
  public static Detokenizer forFile(Path file) {
    String f = file == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (f.startsWith("wiki") && f.contains(".tokens")) {
      return WIKITEXT;
    }
    if (f.startsWith("ptb")) {
      return PTB;
    }
    return NONE;
  }

  private static String lines(String text, UnaryOperator<String> perLine) {
    StringBuilder sb = new StringBuilder(text.length());
    for (String line : text.split("\n", -1)) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(perLine.apply(line).strip());
    }
    return sb.toString();
  }

  private static String clitics(String s) {
    return s.replace(" n't", "n't")
        .replace(" 's", "'s")
        .replace(" 're", "'re")
        .replace(" 've", "'ve")
        .replace(" 'll", "'ll")
        .replace(" 'd ", "'d ")
        .replace(" 'm ", "'m ");
  }

  private static String punctuation(String s) {
    return s.replace(" ,", ",")
        .replace(" .", ".")
        .replace(" ;", ";")
        .replace(" :", ":")
        .replace(" !", "!")
        .replace(" ?", "?")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace("[ ", "[")
        .replace(" ]", "]");
  }

  static String wikitext(String text) {
    return lines(
        text,
        line -> {
          String s = line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".");
          s = punctuation(clitics(s));
          s = s.replaceAll("\" ([^\"]*?) \"", "\"$1\""); // " quoted " -> "quoted"
          s = s.replaceAll("= (?==)", "="); // = = Heading = = -> == Heading ==
          return s;
        });
  }

  static String ptb(String text) {
    return lines(
        text,
        line -> {
          String s = clitics(line).replace("\\/", "/").replace("$ ", "$").replace("# ", "#");
          return punctuation(s);
        });
  }
}
