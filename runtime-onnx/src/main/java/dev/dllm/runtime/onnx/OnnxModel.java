package dev.dllm.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An exported model directory opened for sampling: {@code model.onnx} (full graph) and, for causal
 * models, {@code decode.onnx} (KV cache), described entirely by their {@code metadata_props}
 * ({@link ExportMetadata}). The family named in the metadata is looked up through {@link
 * FamilyRegistry}; the tokenizer is restored from the inline spec and state.
 *
 * <p>Only ONNX Runtime and the family jars are needed: no DJL, no checkpoint.
 */
public final class OnnxModel implements AutoCloseable {
  private final Path dir;
  private final ExportMetadata metadata;
  private final DiffusionFamily family;
  private final OnnxDenoiser denoiser;
  private final String provider;

  private OnnxModel(
      Path dir,
      ExportMetadata metadata,
      DiffusionFamily family,
      OnnxDenoiser denoiser,
      String provider) {
    this.dir = dir;
    this.metadata = metadata;
    this.family = family;
    this.denoiser = denoiser;
    this.provider = provider;
  }

  /** The export folder inside a run folder ({@code dllm train --out RUN}): {@code RUN/onnx}. */
  public static final String RUN_EXPORT_DIR = "onnx";

  /**
   * The export that {@code path} names: {@code path} itself, or for a training run folder (no
   * {@code model.onnx}, a {@code checkpoint/} inside) its {@code onnx/} export.
   *
   * @throws InvalidInputException for a run folder that has not been exported yet, naming the
   *     {@code dllm export} command that would export it
   */
  public static Path runExport(Path path) {
    if (!Files.isDirectory(path) || Files.exists(path.resolve(ExportMetadata.FULL_FILE))) {
      return path;
    }
    Path export = path.resolve(RUN_EXPORT_DIR);
    if (Files.isRegularFile(export.resolve(ExportMetadata.FULL_FILE))) {
      return export;
    }
    Path checkpoint = path.resolve("checkpoint");
    if (Files.isRegularFile(checkpoint.resolve("config.json"))) {
      throw new InvalidInputException(
          path
              + " is a training run folder with no export in "
              + export
              + "; run `dllm export --checkpoint "
              + checkpoint
              + " --out "
              + export
              + "` first");
    }
    return path;
  }

  /**
   * Opens an export directory (or a single {@code .onnx} file), or the {@code onnx/} export of a
   * run folder ({@link #runExport}).
   *
   * @throws InvalidInputException when {@code path} is a run folder not exported yet, a training
   *     checkpoint directory ({@code model.safetensors} + {@code config.json}, no {@code
   *     model.onnx}), when files or metadata are missing or malformed, when a file is not an ONNX
   *     model, when the folder's graphs and report do not belong together ({@link
   *     ExportFolderCheck}: family and model hash), or when the metadata names a family that is not
   *     on the class path (the message lists the registered ones)
   */
  public static OnnxModel open(Path path, OrtConfig config) {
    return open(path, config, OrtCalls.DEFAULT);
  }

  /**
   * As {@link #open(Path, OrtConfig)}, calling ONNX Runtime through {@code calls} (a test seam).
   */
  public static OnnxModel open(Path path, OrtConfig config, OrtCalls calls) {
    path = runExport(path);
    if (Files.isDirectory(path)
        && !Files.exists(path.resolve(ExportMetadata.FULL_FILE))
        && Files.isRegularFile(path.resolve("model.safetensors"))
        && Files.isRegularFile(path.resolve("config.json"))) {
      throw new InvalidInputException(
          path
              + " is a training checkpoint, not an export; run: dllm export --checkpoint "
              + path
              + " --out EXPORT_DIR");
    }
    boolean folder = Files.isDirectory(path);
    Path dir = folder ? path : path.toAbsolutePath().getParent();
    Path fullFile = folder ? path.resolve(ExportMetadata.FULL_FILE) : path;
    if (folder && Files.isRegularFile(fullFile)) {
      List<Path> graphs = new ArrayList<>(List.of(fullFile));
      if (Files.isRegularFile(dir.resolve(ExportMetadata.DECODE_FILE))) {
        graphs.add(dir.resolve(ExportMetadata.DECODE_FILE));
      }
      try {
        MemoryCheck.check(dir, graphs, MemoryCheck.availableBytes());
      } catch (java.io.IOException e) {
        throw new InvalidInputException("cannot read export " + dir + ": " + e.getMessage(), e);
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OnnxSessions.Opened full = OnnxSessions.open(env, fullFile, config, calls);
    OnnxSessions.Opened decode = null;
    Path current = fullFile;
    try {
      Map<String, String> fullProps = full.session().getMetadata().getCustomMetadata();
      ExportMetadata md = ExportMetadata.fromProps(fullProps, fullFile.toString());
      Path decodeFile = dir.resolve(ExportMetadata.DECODE_FILE);
      Map<String, String> decodeProps = null;
      if (folder && Files.isRegularFile(decodeFile)) {
        // after a CUDA fallback, open the decode graph on the CPU directly (one warning only)
        current = decodeFile;
        decode = OnnxSessions.open(env, decodeFile, config.withProvider(full.provider()), calls);
        decodeProps = decode.session().getMetadata().getCustomMetadata();
        ExportMetadata.fromProps(decodeProps, decodeFile.toString());
      }
      if (folder) {
        ExportFolderCheck.check(dir, fullProps, decodeProps);
      }
      // the family as exported (e.g. Eso-LM's alpha_0), not its defaults
      DiffusionFamily fam = FamilyRegistry.load().get(md.family()).configure(md.familyMetadata());
      OnnxDenoiser den =
          new OnnxDenoiser(
              env, full.session(), decode == null ? null : decode.session(), md, calls);
      return new OnnxModel(dir, md, fam, den, full.provider());
    } catch (OrtException e) {
      OnnxDenoiser.closeQuietly(full.session());
      OnnxDenoiser.closeQuietly(decode == null ? null : decode.session());
      throw new InvalidInputException(
          "cannot read metadata of " + current + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      OnnxDenoiser.closeQuietly(full.session());
      OnnxDenoiser.closeQuietly(decode == null ? null : decode.session());
      throw e;
    }
  }

  public Path directory() {
    return dir;
  }

  public ExportMetadata metadata() {
    return metadata;
  }

  public DiffusionFamily family() {
    return family;
  }

  /** The network; owned by this model (closed with it). */
  public OnnxDenoiser denoiser() {
    return denoiser;
  }

  /** {@code cpu} or {@code cuda}: where the sessions really run (after any fallback). */
  public String provider() {
    return provider;
  }

  /**
   * The tokenizer restored from the metadata.
   *
   * @throws InvalidInputException when its scheme is not on the class path
   */
  public Tokenizer tokenizer() {
    return Tokenizers.restore(resolvedTokenizerSpec(), metadata.tokenizerState());
  }

  /**
   * The tokenizer spec with a relative file argument ({@code hf:tokenizer/tokenizer.json}, as
   * written by the exporter, which copies tokenizer files into the export) resolved against the
   * export directory.
   */
  public String resolvedTokenizerSpec() {
    String spec = metadata.tokenizerSpec();
    int colon = spec.indexOf(':');
    if (colon > 0 && colon < spec.length() - 1) {
      Path arg = Path.of(spec.substring(colon + 1));
      if (!arg.isAbsolute() && Files.exists(dir.resolve(arg))) {
        return spec.substring(0, colon + 1) + dir.resolve(arg).toAbsolutePath();
      }
    }
    return spec;
  }

  @Override
  public void close() {
    denoiser.close();
  }
}
