package dev.dllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.Prompt;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The requests of {@code dllm sample --prompts FILE.jsonl}: one JSON object per line, {@code
 * {"prompt": TEXT}} (a continuation) or {@code {"prefix": TEXT, "suffix": TEXT, "length": N}}
 * (fill-in-the-middle of N tokens; a missing prefix or suffix is empty, an empty suffix makes it a
 * continuation of N tokens). Blank lines are skipped. The file must be UTF-8.
 */
final class PromptRequests {
  private PromptRequests() {}

  /**
   * One request and the line it came from.
   *
   * @param line 1-based line number in the file
   */
  record Request(Prompt prompt, int line) {}

  private static final Set<String> CONTINUATION = Set.of("prompt");
  private static final Set<String> INFILL = Set.of("prefix", "suffix", "length");

  /**
   * Reads {@code file}.
   *
   * @throws InvalidInputException naming the file (and line) for a missing or unreadable file, a
   *     line that is not such an object, or a file without requests
   */
  static List<Request> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("--prompts " + file + ": no such file");
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("--prompts " + file + ": not valid UTF-8 text");
    } catch (IOException e) {
      throw new InvalidInputException("--prompts " + file + ": cannot be read (" + e + ")");
    }
    ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    List<Request> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.isBlank()) {
        continue;
      }
      out.add(new Request(parse(json, line, file, i + 1), i + 1));
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(
          "--prompts "
              + file
              + " holds no requests (one JSON object per line: {\"prompt\": ...} or"
              + " {\"prefix\": ..., \"suffix\": ..., \"length\": N})");
    }
    return out;
  }

  private static Prompt parse(ObjectMapper json, String text, Path file, int line) {
    String where = file + " line " + line + ": ";
    JsonNode node;
    try {
      node = json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          where + "not valid JSON (" + SampleCommand.firstLine(e.getOriginalMessage()) + ")");
    }
    if (node == null || !node.isObject()) {
      throw new InvalidInputException(
          where
              + "expected a JSON object {\"prompt\": ...} or {\"prefix\": ..., \"suffix\": ...,"
              + " \"length\": N}");
    }
    boolean continuation = node.has("prompt");
    Set<String> allowed = continuation ? CONTINUATION : INFILL;
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new InvalidInputException(
            where
                + "unexpected key \""
                + key
                + "\""
                + (continuation
                    ? " next to \"prompt\" (a request is {\"prompt\": ...} or {\"prefix\": ...,"
                        + " \"suffix\": ..., \"length\": N})"
                    : "; known keys: prompt, or prefix, suffix and length"));
      }
    }
    if (continuation) {
      return Prompt.of(text(node, "prompt", where));
    }
    if (!node.has("length")) {
      throw new InvalidInputException(
          where
              + "needs \"prompt\", or \"length\" (the tokens to generate) with \"prefix\"/\"suffix\"");
    }
    JsonNode length = node.get("length");
    if (!length.canConvertToInt() || !length.isIntegralNumber() || length.intValue() < 1) {
      throw new InvalidInputException(where + "\"length\" must be an integer >= 1, got " + length);
    }
    String prefix = node.has("prefix") ? text(node, "prefix", where) : "";
    String suffix = node.has("suffix") ? text(node, "suffix", where) : "";
    return new Prompt(prefix, suffix, length.intValue());
  }

  private static String text(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (!v.isTextual()) {
      throw new InvalidInputException(
          where
              + "\""
              + key
              + "\" must be a string, got "
              + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    return v.textValue();
  }
}
