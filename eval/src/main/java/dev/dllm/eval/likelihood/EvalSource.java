package dev.dllm.eval.likelihood;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.data.corpus.Newlines;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which text {@code dllm eval} scores when no {@code --data} is given: the corpus the model was
 * trained on, when the export or its run records it, else the bundled Tiny Shakespeare; and the
 * line that says which ({@link #line}).
 *
 * <p>The training corpus is read, in order, from: {@value ExportMetadata#CORPUS_KEY} in the export
 * metadata's training provenance (written by {@code dllm export} since issue 19); {@code
 * train-report.json} in the export folder or the folder above it ({@code corpus.path}, or {@code
 * corpus} as a string, taken only when the report's {@code family} matches); the stored options
 * ({@code training.run_config.data}) of {@code checkpoint/config.json} in the folder above the
 * export (the run folder of {@code dllm train --out RUN} exported to {@code RUN/onnx}).
 *
 * @param path the corpus or file to read, or null for the bundled Tiny Shakespeare
 * @param description what the text is, e.g. "validation split of /data/gutenberg"
 * @param reason why it was chosen, e.g. "the model's training corpus, recorded in ..."
 * @param newlines line ends as the corpus is read: the model's recorded {@value
 *     ExportMetadata#NEWLINES_KEY} for its training corpus ({@code keep} for a run recorded before
 *     the option existed), else {@link Newlines#DEFAULT}
 */
public record EvalSource(Path path, String description, String reason, Newlines newlines) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The description of the bundled corpus. */
  static final String BUNDLED = "validation split of the bundled Tiny Shakespeare";

  /**
   * The text to score: {@code data} when given, else the model's training corpus, else the bundled
   * corpus.
   *
   * @param data the {@code --data} path, or null
   * @throws InvalidInputException when the recorded training corpus no longer exists (naming it and
   *     where it was recorded, and asking for {@code --data})
   */
  public static EvalSource choose(Path data, OnnxModel model) {
    String[] found = recordedCorpus(model);
    if (data != null) {
      if (found != null
          && !found[0].equals(ExportMetadata.BUNDLED_CORPUS)
          && Path.of(found[0])
              .toAbsolutePath()
              .normalize()
              .equals(data.toAbsolutePath().normalize())) {
        return new EvalSource(
            data,
            data.toString(),
            "given by --data; the model's training corpus, read with its newlines "
                + newlines(found).id(),
            newlines(found));
      }
      return new EvalSource(data, data.toString(), "given by --data", Newlines.DEFAULT);
    }
    if (found == null) {
      return new EvalSource(
          null,
          BUNDLED,
          "the model records no training corpus; pass --data PATH to score another text",
          Newlines.DEFAULT);
    }
    if (found[0].equals(ExportMetadata.BUNDLED_CORPUS)) {
      return new EvalSource(
          null, BUNDLED, "the model's training corpus, recorded in " + found[1], newlines(found));
    }
    Path p = Path.of(found[0]);
    if (!Files.exists(p)) {
      throw new InvalidInputException(
          "the model "
              + model.directory()
              + " was trained on "
              + p
              + " (recorded in "
              + found[1]
              + "), which does not exist here; pass --data PATH (the corpus's new place, or"
              + " another text)");
    }
    return new EvalSource(
        p,
        "validation split of " + p,
        "the model's training corpus, recorded in " + found[1],
        newlines(found));
  }

  private static Newlines newlines(String[] found) {
    try {
      return Newlines.parse(found[2]);
    } catch (InvalidInputException e) {
      return Newlines.KEEP; // unreadable record: the bytes as they are
    }
  }

  /** "eval text: DESCRIPTION (REASON)", the line {@code dllm eval} prints before it scores. */
  public String line() {
    return "eval text: " + description + " (" + reason + ")";
  }

  /** The report fields: {@code chosen_by}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("text", description);
    m.put("chosen_by", reason);
    m.put("newlines", newlines.id());
    return m;
  }

  /**
   * {corpus, where it was recorded, its newline mode ({@code keep} when not recorded)} of the
   * model's training corpus, or null when unknown.
   */
  static String[] recordedCorpus(OnnxModel model) {
    Map<String, Object> training = model.metadata().training();
    Object v = training.get(ExportMetadata.CORPUS_KEY);
    if (v instanceof String s && !s.isBlank()) {
      Object nl = training.get(ExportMetadata.NEWLINES_KEY);
      return new String[] {
        s,
        "export metadata training." + ExportMetadata.CORPUS_KEY,
        nl instanceof String n ? n : Newlines.KEEP.id()
      };
    }
    Path dir = model.directory().toAbsolutePath().normalize();
    for (Path d : new Path[] {dir, dir.getParent()}) {
      if (d == null) {
        continue;
      }
      Path rep = d.resolve("train-report.json");
      JsonNode r = read(rep);
      if (r != null && r.path("family").asText("").equals(model.metadata().family())) {
        JsonNode c = r.path("corpus");
        String path = c.isTextual() ? c.asText() : c.path("path").asText("");
        if (!path.isBlank()) {
          String nl = c.path("newlines").asText(r.path("newlines").asText(Newlines.KEEP.id()));
          return new String[] {path, rep.toString(), nl};
        }
      }
    }
    if (dir.getParent() != null) {
      Path cfg = dir.getParent().resolve("checkpoint").resolve("config.json");
      JsonNode c = read(cfg);
      JsonNode run = c == null ? null : c.path("training").path("run_config");
      if (run != null
          && run.isObject()
          && c.path("family").asText("").equals(model.metadata().family())
          && (run.path("sft").isMissingNode() || run.path("sft").isNull())) {
        JsonNode d = run.path("data");
        String path = d.isNull() || d.isMissingNode() ? ExportMetadata.BUNDLED_CORPUS : d.asText();
        String nl = run.path("newlines").asText(Newlines.KEEP.id());
        return new String[] {path, cfg + " (training.run_config.data)", nl};
      }
    }
    return null;
  }

  private static JsonNode read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      return null; // an unreadable file records nothing
    }
  }
}
