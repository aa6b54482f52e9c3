package dev.dllm.server;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One export served under an id: the name of its folder ({@code runs/mdlm/onnx} is served as {@code
 * onnx}, unless two folders share a name, then as their parent's name joined with a slash: {@code
 * mdlm/onnx}).
 *
 * @param id the {@code model} field of requests and of {@code GET /v1/models}
 * @param directory the export folder
 * @param generator the opened export (thread-safe)
 */
record ServedModel(String id, Path directory, DllmGenerator generator) {

  /** The family's registry name ({@code mdlm}, {@code ar}, ...). */
  String family() {
    return generator.family();
  }

  /** Whether the family is causal (AR): streamed as OpenAI text deltas, no suffix. */
  boolean causal() {
    return generator.model().family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
  }

  /** The block length L the export was trained at. */
  int length() {
    return generator.model().metadata().seqLen();
  }

  /**
   * Opens every export of {@code dirs} with {@code config}, in order; on a failure the ones opened
   * are closed.
   *
   * @throws InvalidInputException naming the folder that is not a readable dllm export
   */
  static Map<String, ServedModel> open(List<Path> dirs, OrtConfig config) {
    List<String> ids = ids(dirs);
    Map<String, ServedModel> out = new LinkedHashMap<>();
    try {
      for (int i = 0; i < dirs.size(); i++) {
        Path d = dirs.get(i);
        try {
          out.put(ids.get(i), new ServedModel(ids.get(i), d, DllmGenerator.open(d, config)));
        } catch (InvalidInputException e) {
          throw new InvalidInputException("--model " + d + ": " + e.getMessage(), e);
        }
      }
    } catch (RuntimeException e) {
      out.values().forEach(m -> m.generator().close());
      throw e;
    }
    return out;
  }

  /**
   * The ids of {@code dirs}: folder names, qualified by the parent's name where two collide.
   *
   * @throws InvalidInputException when a folder is given twice or two ids still collide
   */
  static List<String> ids(List<Path> dirs) {
    List<String> ids = new ArrayList<>();
    for (Path d : dirs) {
      ids.add(name(d, 1));
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < dirs.size(); i++) {
      String id = ids.get(i);
      boolean clash = java.util.Collections.frequency(ids, id) > 1;
      out.add(clash ? name(dirs.get(i), 2) : id);
    }
    for (int i = 0; i < out.size(); i++) {
      if (out.indexOf(out.get(i)) != i) {
        throw new InvalidInputException(
            "--model: "
                + dirs.get(i)
                + " and "
                + dirs.get(out.indexOf(out.get(i)))
                + " would both be served as '"
                + out.get(i)
                + "'; give each export once");
      }
    }
    return out;
  }

  private static String name(Path dir, int parts) {
    Path abs = dir.toAbsolutePath().normalize();
    int n = abs.getNameCount();
    if (n == 0) {
      return "model";
    }
    return abs.subpath(Math.max(0, n - parts), n).toString().replace('\\', '/');
  }
}
