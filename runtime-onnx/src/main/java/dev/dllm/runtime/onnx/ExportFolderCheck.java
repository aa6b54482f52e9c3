package dev.dllm.runtime.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Refuses an export folder whose files do not belong together (issue 7 §4): {@code model.onnx},
 * {@code decode.onnx} and {@code export-report.json} must name the same family and, where written,
 * the same model hash ({@link ExportMetadata#MODEL_HASH_KEY}); {@code model.onnx} must be a full
 * graph and {@code decode.onnx} a decode graph. The report, written last by the exporter, describes
 * the folder; a graph that disagrees with it (or a decode graph that disagrees with {@code
 * model.onnx}) is named in one line. Exports written before the hash existed are checked by family
 * only.
 */
final class ExportFolderCheck {
  static final String REPORT_FILE = "export-report.json";

  private ExportFolderCheck() {}

  /** What one file says about the model it belongs to. */
  record Claim(String file, String family, String hash) {
    static Claim of(String file, Map<String, String> props) {
      return new Claim(
          file,
          props.get(ExportMetadata.PREFIX + "family"),
          props.get(ExportMetadata.MODEL_HASH_KEY));
    }

    String describe() {
      return "family "
          + family
          + (hash == null ? ", no model hash" : ", model hash " + shortHash());
    }

    String shortHash() {
      return hash.length() > 12 ? hash.substring(0, 12) : hash;
    }
  }

  /**
   * @param dir the export folder
   * @param fullProps {@code metadata_props} of {@code model.onnx}
   * @param decodeProps those of {@code decode.onnx}, or null when there is none
   * @throws InvalidInputException naming the file that does not belong to the folder
   */
  static void check(Path dir, Map<String, String> fullProps, Map<String, String> decodeProps) {
    Claim full = Claim.of(ExportMetadata.FULL_FILE, fullProps);
    String kind = fullProps.get(ExportMetadata.PREFIX + "graph");
    if (!ExportMetadata.GRAPH_FULL.equals(kind)) {
      throw new InvalidInputException(
          dir.resolve(ExportMetadata.FULL_FILE)
              + " is a '"
              + kind
              + "' graph, expected the full graph; the export folder is mixed up, re-export it"
              + " with dllm export");
    }
    Path reportFile = dir.resolve(REPORT_FILE);
    if (Files.isRegularFile(reportFile)) {
      Claim report = readReport(reportFile);
      if (!agree(report, full)) {
        throw mismatch(dir, full, report);
      }
    }
    if (decodeProps != null) {
      Claim decode = Claim.of(ExportMetadata.DECODE_FILE, decodeProps);
      String decodeKind = decodeProps.get(ExportMetadata.PREFIX + "graph");
      if (!ExportMetadata.GRAPH_DECODE.equals(decodeKind)) {
        throw new InvalidInputException(
            dir.resolve(ExportMetadata.DECODE_FILE)
                + " is a '"
                + decodeKind
                + "' graph, expected the KV-cache decode graph; re-export the folder with dllm"
                + " export");
      }
      if (!agree(decode, full)) {
        throw mismatch(dir, decode, full);
      }
    }
  }

  private static boolean agree(Claim a, Claim b) {
    return Objects.equals(a.family, b.family) && Objects.equals(a.hash, b.hash);
  }

  private static InvalidInputException mismatch(Path dir, Claim odd, Claim reference) {
    return new InvalidInputException(
        dir.resolve(odd.file)
            + " does not belong to this export folder: it is "
            + odd.describe()
            + ", but "
            + reference.file
            + " is "
            + reference.describe()
            + "; re-export the folder with dllm export");
  }

  private static Claim readReport(Path file) {
    JsonNode n;
    try {
      n = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(
          file
              + " is not a readable export report ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")",
          e);
    }
    if (n == null || !n.isObject()) {
      throw new InvalidInputException(file + " is not a JSON object (an export report)");
    }
    JsonNode family = n.get("family");
    JsonNode hash = n.get("model_hash");
    return new Claim(
        REPORT_FILE,
        family == null ? null : family.asText(),
        hash == null || hash.isNull() ? null : hash.asText());
  }
}
