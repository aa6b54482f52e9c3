package dev.dllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GSM8K's JSON Lines format: one {@code {"question": ..., "answer": ...}} object per non-blank line
 * (other fields are ignored), UTF-8.
 */
public final class TaskFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TaskFile() {}

  /**
   * Reads every item of {@code file}.
   *
   * @throws InvalidInputException naming file and line for a line that is not such an object, or
   *     naming the file when it has no items or is not UTF-8
   */
  public static List<TaskItem> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("task file " + file + " does not exist");
    }
    List<TaskItem> items = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int no = 0;
      while ((line = r.readLine()) != null) {
        no++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (IOException e) {
          throw new InvalidInputException(file + ":" + no + ": not a JSON object", e);
        }
        if (n == null
            || !n.isObject()
            || !n.path("question").isTextual()
            || !n.path("answer").isTextual()) {
          throw new InvalidInputException(
              file + ":" + no + ": needs string fields \"question\" and \"answer\"");
        }
        items.add(new TaskItem(n.get("question").asText(), n.get("answer").asText()));
      }
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new InvalidInputException("task file " + file + " is not valid UTF-8 text");
    }
    if (items.isEmpty()) {
      throw new InvalidInputException("task file " + file + " has no items");
    }
    return items;
  }

  /** One JSON line per item, in order ({@code question}, then {@code answer}), UTF-8. */
  public static String toJsonl(List<TaskItem> items) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (TaskItem it : items) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("question", it.question());
      m.put("answer", it.answer());
      sb.append(JSON.writeValueAsString(m)).append('\n');
    }
    return sb.toString();
  }
}
