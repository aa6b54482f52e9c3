package dev.dllm.data.sft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reads supervised fine-tuning pairs from JSONL: one JSON object per line, either {@code {"prompt":
 * ..., "response": ...}} (used as given, concatenated without a separator) or GSM8K's own {@code
 * {"question": ..., "answer": ...}} (openai/grade-school-math, read directly), which becomes prompt
 * {@code "Question: " + question + "\nAnswer:"} and response {@code " " + answer} (lm-eval's
 * zero-shot {@code gsm8k} template; {@link #TEMPLATE}). Both kinds may be mixed in one file; other
 * fields are ignored. Blank lines are skipped.
 *
 * <p>Errors are bad input ({@link InvalidInputException}), one line naming the file and the 1-based
 * line number: bytes that are not UTF-8, a line that is not a JSON object, a missing field, a field
 * that is not a string. A file with no record at all is refused too.
 */
public final class SftPairs {
  /** {@link SftPair#format()} of a {@code prompt}/{@code response} record. */
  public static final String FORMAT_PAIRS = "prompt_response";

  /** {@link SftPair#format()} of a GSM8K {@code question}/{@code answer} record. */
  public static final String FORMAT_GSM8K = "gsm8k";

  /** The GSM8K prompt: {@code String.format(GSM8K_PROMPT, question)}. */
  public static final String GSM8K_PROMPT = "Question: %s\nAnswer:";

  /** The GSM8K response: {@code String.format(GSM8K_RESPONSE, answer)}. */
  public static final String GSM8K_RESPONSE = " %s";

  /** The templates, as stored with a run's options and written to its report. */
  public static final String TEMPLATE =
      "{prompt}{response} as given; GSM8K {question, answer}: prompt 'Question: {question}\\n"
          + "Answer:', response ' {answer}'";

  /** Seed of the fixed permutation that picks held-out pairs (the same for every run). */
  static final long SPLIT_SEED = 0x5F7_5EEDL;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SftPairs() {}

  /**
   * The pairs of {@code file}, in file order.
   *
   * @throws InvalidInputException naming the file (and line) when it is missing, unreadable, not
   *     UTF-8, holds a malformed record or no record at all
   */
  public static List<SftPair> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
    List<SftPair> pairs = new ArrayList<>();
    int line = 0;
    int from = 0;
    while (from < bytes.length) {
      int to = from;
      while (to < bytes.length && bytes[to] != '\n') {
        to++;
      }
      line++;
      String text = decode(file, line, bytes, from, to);
      if (!text.isBlank()) {
        pairs.add(parse(file, line, text));
      }
      from = to + 1;
    }
    if (pairs.isEmpty()) {
      throw new InvalidInputException(
          file
              + ": no records (expected one JSON object per line with \"prompt\" and"
              + " \"response\", or GSM8K's \"question\" and \"answer\")");
    }
    return pairs;
  }

  /**
   * Splits {@code pairs} into training and held-out pairs: {@code round(fraction · N)} pairs (at
   * least 1) chosen by a fixed permutation (the same for every run and seed, so every family is
   * validated on the same pairs of a file); both parts keep file order.
   *
   * @param fraction held-out share in (0, 0.5]
   * @return {@code [train, held-out]}
   * @throws InvalidInputException when there are fewer than 2 pairs
   */
  public static List<List<SftPair>> split(Path file, List<SftPair> pairs, double fraction) {
    if (!(fraction > 0 && fraction <= 0.5)) {
      throw new InvalidInputException("--val-fraction must be in (0, 0.5], got " + fraction);
    }
    int n = pairs.size();
    if (n < 2) {
      throw new InvalidInputException(
          file + ": " + n + " record; at least 2 are needed to hold some out (or give --val-data)");
    }
    int held = (int) Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(SPLIT_SEED);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    boolean[] isHeld = new boolean[n];
    for (int i = 0; i < held; i++) {
      isHeld[order[i]] = true;
    }
    List<SftPair> train = new ArrayList<>(n - held);
    List<SftPair> val = new ArrayList<>(held);
    for (int i = 0; i < n; i++) {
      (isHeld[i] ? val : train).add(pairs.get(i));
    }
    return List.of(train, val);
  }

  private static String decode(Path file, int line, byte[] bytes, int from, int to) {
    int end = to > from && bytes[to - 1] == '\r' ? to - 1 : to;
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, end - from))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidInputException(file + ":" + line + ": not UTF-8 text");
    }
  }

  private static SftPair parse(Path file, int line, String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          file + ":" + line + ": not a JSON object (" + firstLine(e.getOriginalMessage()) + ")");
    }
    if (node == null || !node.isObject()) {
      throw new InvalidInputException(
          file + ":" + line + ": expected a JSON object, got " + kind(node));
    }
    if (node.has("prompt") || node.has("response")) {
      return new SftPair(
          field(file, line, node, "prompt"),
          field(file, line, node, "response"),
          line,
          FORMAT_PAIRS);
    }
    if (node.has("question") || node.has("answer")) {
      return new SftPair(
          String.format(GSM8K_PROMPT, field(file, line, node, "question")),
          String.format(GSM8K_RESPONSE, field(file, line, node, "answer")),
          line,
          FORMAT_GSM8K);
    }
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    throw new InvalidInputException(
        file
            + ":"
            + line
            + ": expected fields \"prompt\" and \"response\" (or GSM8K's \"question\" and"
            + " \"answer\"), got "
            + (names.isEmpty() ? "none" : names));
  }

  private static String field(Path file, int line, JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new InvalidInputException(file + ":" + line + ": missing field \"" + name + "\"");
    }
    if (!v.isTextual()) {
      throw new InvalidInputException(
          file + ":" + line + ": field \"" + name + "\" must be a string, got " + kind(v));
    }
    return v.textValue();
  }

  private static String kind(JsonNode n) {
    return n == null ? "nothing" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
