package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Where a corpus comes from and how it is split: a {@code .txt} file, a folder of {@code .txt}
 * files (recursive, sorted by relative path) or a JSONL file ({@code .jsonl}/{@code .json}) with
 * the text in {@code textField}.
 *
 * <p>Train/validation split (deterministic, independent of the tokenizer): a text file, or a
 * folder's files concatenated in sorted relative-path order, is one byte stream of S bytes, cut
 * right after the first newline at or after byte floor((1 − f)·S), searching only inside the file
 * that holds that byte (when that file has no newline after it, at that byte, moved to a UTF-8
 * character boundary). Train = everything before the cut, validation = the tail after it: about a
 * fraction f of the bytes and tokens, every document contiguous (at most one file is cut in two,
 * head to train and tail to validation) and a folder of one file split as that file. JSONL is split
 * by record: of N records, n_v = max(1, floor(f·N)) (0 if f = 0 or N &lt; 2) are validation, evenly
 * spaced: record i is validation iff floor((i+1)·n_v/N) &gt; floor(i·n_v/N).
 *
 * @param path the file or folder
 * @param format its layout
 * @param textField JSONL field holding the text
 * @param validFraction f in [0, 0.5]
 * @param newlines line ends as read ({@link Newlines}; {@link Newlines#DEFAULT} unless set)
 */
public record CorpusSource(
    Path path, CorpusFormat format, String textField, double validFraction, Newlines newlines) {

  /** Default validation fraction. */
  public static final double DEFAULT_VALID_FRACTION = 0.05;

  public CorpusSource {
    if (!(validFraction >= 0 && validFraction <= 0.5)) {
      throw new InvalidInputException(
          "validation fraction must be in [0, 0.5], got " + validFraction);
    }
    if (textField == null || textField.isBlank()) {
      throw new InvalidInputException("--text-field must not be empty");
    }
    if (newlines == null) {
      newlines = Newlines.DEFAULT;
    }
  }

  /**
   * A corpus at {@code path}, format detected from it (folder, {@code .jsonl}/{@code .json}, else
   * text), text field {@code text}, validation fraction 0.05, CRLF read as LF.
   *
   * @throws InvalidInputException when the path does not exist
   */
  public static CorpusSource of(Path path) {
    if (!Files.exists(path)) {
      throw new InvalidInputException("corpus " + path + " does not exist");
    }
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    CorpusFormat format =
        Files.isDirectory(path)
            ? CorpusFormat.DIRECTORY
            : lower.endsWith(".jsonl") || lower.endsWith(".json")
                ? CorpusFormat.JSONL
                : CorpusFormat.TEXT;
    return new CorpusSource(path, format, "text", DEFAULT_VALID_FRACTION, Newlines.DEFAULT);
  }

  /** The same corpus with another JSONL text field. */
  public CorpusSource withTextField(String field) {
    return new CorpusSource(path, format, field, validFraction, newlines);
  }

  /** The same corpus with another validation fraction. */
  public CorpusSource withValidFraction(double f) {
    return new CorpusSource(path, format, textField, f, newlines);
  }

  /** The same corpus read with other line ends. */
  public CorpusSource withNewlines(Newlines n) {
    return new CorpusSource(path, format, textField, validFraction, n);
  }

  /**
   * The files of the corpus in order: the file itself, or the sorted {@code *.txt} files under a
   * folder.
   *
   * @throws InvalidInputException when a folder has no {@code .txt} file
   */
  public List<Path> files() {
    if (format != CorpusFormat.DIRECTORY) {
      return List.of(path);
    }
    try (Stream<Path> walk = Files.walk(path)) {
      List<Path> files =
          walk.filter(Files::isRegularFile)
              .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".txt"))
              .sorted(
                  (a, b) -> path.relativize(a).toString().compareTo(path.relativize(b).toString()))
              .toList();
      if (files.isEmpty()) {
        throw new InvalidInputException("corpus folder " + path + " has no .txt files");
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list corpus folder " + path, e);
    }
  }

  /** The split rule in words, for the statistics, reports and the console. */
  public String splitRule() {
    return switch (format) {
      case TEXT ->
          "byte tail: from the first newline at or after byte floor((1-f)*size) of the file";
      case DIRECTORY ->
          "byte tail of the .txt files concatenated in sorted path order: from the first newline"
              + " at or after byte floor((1-f)*total), within the file holding that byte";
      case JSONL -> "by record: floor(f*N) evenly spaced lines (at least 1)";
    };
  }

  /** Number of validation records out of {@code n} (JSONL split). */
  static long validCount(long n, double f) {
    if (f <= 0 || n < 2) {
      return 0;
    }
    return Math.max(1, (long) Math.floor(f * n));
  }

  /** Whether record {@code i} of {@code n} is a validation record. */
  static boolean isValid(long i, long n, long nValid) {
    if (nValid == 0) {
      return false;
    }
    return Math.floorDiv((i + 1) * nValid, n) > Math.floorDiv(i * nValid, n);
  }
}
