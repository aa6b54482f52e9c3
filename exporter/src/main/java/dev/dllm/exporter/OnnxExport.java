package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes an export directory: {@code model.onnx} (full graph), {@code decode.onnx} (KV-cache graph:
 * AR decode for causal, window decode for sorted-causal, block KV graph for bidirectional models,
 * {@link DitOnnx}) and {@code export-report.json} (family, model hash, node counts, sizes, check
 * results). Every graph carries the metadata and the same {@link ModelHash} under {@link
 * ExportMetadata#MODEL_HASH_KEY}, so the runtime can refuse a folder mixing files of two exports.
 * Every graph passes {@link OnnxGraphCheck} before anything is written; the directory is built
 * under a temporary name next to {@code out} and renamed into place, so a failed export leaves any
 * previous export untouched.
 */
public final class OnnxExport {
  private OnnxExport() {}

  /** What was written. */
  public record Report(Path directory, Map<String, Object> summary) {}

  /**
   * Exports {@code weights} described by {@code metadata} into {@code out}.
   *
   * @throws InvalidInputException when {@code out} exists and is not an earlier export directory,
   *     or cannot be created ({@link #checkOut})
   * @throws IllegalStateException when a graph fails the structural check
   */
  public static Report write(DitWeights weights, ExportMetadata metadata, Path out) {
    return write(weights, metadata, out, Map.of());
  }

  /**
   * As {@link #write(DitWeights, ExportMetadata, Path)}, also copying {@code files} (relative name
   * inside the export to source file), e.g. a tokenizer model the metadata points to.
   */
  public static Report write(
      DitWeights weights, ExportMetadata metadata, Path out, Map<String, Path> files) {
    return write(weights, metadata, out, files, Quantize.NONE);
  }

  /** System property overriding {@link ExternalData#DEFAULT_THRESHOLD} (bytes). */
  public static final String EXTERNAL_PROPERTY = "dllm.export.external-above";

  /** Weight precision of the exported graphs. */
  public enum Quantize {
    /** fp32 graphs (the default). */
    NONE,
    /** every weight MatMul as dynamic int8 ({@link Int8MatMulRewrite}). */
    INT8;

    /**
     * Parses {@code none}/{@code fp32} or {@code int8}.
     *
     * @throws InvalidInputException naming {@code option} and the accepted values otherwise
     */
    public static Quantize parse(String value, String option) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "none", "fp32" -> NONE;
        case "int8" -> INT8;
        default ->
            throw new InvalidInputException(
                option + " '" + value + "': expected int8 (or none/fp32 for the default)");
      };
    }
  }

  /**
   * As {@link #write(DitWeights, ExportMetadata, Path, Map)}, with every graph rewritten by {@link
   * Int8MatMulRewrite} when {@code quantize} is {@link Quantize#INT8}: the graphs then carry
   * {@value Int8MatMulRewrite#QUANTIZE_KEY} = int8, the report {@code quantize: int8}, and the
   * model hash gets the suffix {@code -int8} (so int8 and fp32 graphs of one checkpoint never mix
   * in a folder).
   */
  public static Report write(
      DitWeights weights,
      ExportMetadata metadata,
      Path out,
      Map<String, Path> files,
      Quantize quantize) {
    return write(
        weights,
        metadata,
        out,
        files,
        quantize,
        Long.getLong(EXTERNAL_PROPERTY, ExternalData.DEFAULT_THRESHOLD));
  }

  /** As {@link #write(DitWeights, ExportMetadata, Path, Map, Quantize, long)} in fp32. */
  public static Report write(
      DitWeights weights,
      ExportMetadata metadata,
      Path out,
      Map<String, Path> files,
      long externalAbove) {
    return write(weights, metadata, out, files, Quantize.NONE, externalAbove);
  }

  /**
   * As {@link #write(DitWeights, ExportMetadata, Path, Map, Quantize)}; a model with more than
   * {@code externalAbove} bytes of float32 parameters is written with ONNX external data: the
   * graphs keep their structure and small constants, the weights go to {@value ExternalData#FILE}
   * (shared by {@code model.onnx} and {@code decode.onnx}), so models over protobuf's 2 GiB limit
   * export.
   */
  public static Report write(
      DitWeights weights,
      ExportMetadata metadata,
      Path out,
      Map<String, Path> files,
      Quantize quantize,
      long externalAbove) {
    if (!metadata.model().equals(weights.config())) {
      throw new IllegalArgumentException(
          "metadata model " + metadata.model() + " differs from weights " + weights.config());
    }
    checkOut(out);
    Path target = out.toAbsolutePath().normalize();
    Path parent = target.getParent();
    long paramBytes = 4 * DitLayout.totalParams(weights.config());
    boolean external = paramBytes > externalAbove;
    try {
      Files.createDirectories(parent);
      if (Files.exists(target) && !Files.isRegularFile(target.resolve(ExportMetadata.FULL_FILE))) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.findAny().isPresent()) {
            throw new InvalidInputException(
                "--out "
                    + target
                    + " exists and is not an export directory; refusing to replace it");
          }
        }
      }
      Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp");
      try {
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: keep the default permissions
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        Map<String, ModelProto> graphs =
            graphs(
                weights,
                metadata,
                quantize,
                summary,
                external ? tmp.resolve(ExternalData.FILE) : null);
        for (Map.Entry<String, ModelProto> e : graphs.entrySet()) {
          try (OutputStream os = Files.newOutputStream(tmp.resolve(e.getKey()))) {
            e.getValue().writeTo(os);
          }
        }
        for (Map.Entry<String, Path> e : files.entrySet()) {
          Path dst = tmp.resolve(e.getKey()).normalize();
          if (!dst.startsWith(tmp)) {
            throw new IllegalArgumentException("file name escapes the export: " + e.getKey());
          }
          Files.createDirectories(dst.getParent());
          Files.copy(e.getValue(), dst);
        }
        new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(tmp.resolve("export-report.json").toFile(), summary);
        replace(tmp, target);
        return new Report(target, summary);
      } finally {
        deleteTree(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write export " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds and checks the graphs one after the other, moving each one's weights into {@code
   * externalFile} (when not null) before the next is built, and fills {@code summary}.
   */
  private static Map<String, ModelProto> graphs(
      DitWeights weights,
      ExportMetadata metadata,
      Quantize quantize,
      Map<String, Object> summary,
      Path externalFile)
      throws IOException {
    long t0 = System.nanoTime();
    String hash = ModelHash.of(weights) + (quantize == Quantize.INT8 ? "-int8" : "");
    summary.put("family", metadata.family());
    summary.put("model_hash", hash);
    summary.put("model", ExportMetadata.modelMap(metadata.model()));
    summary.put("seq_len", metadata.seqLen());
    summary.put("opset", OnnxEmitter.OPSET);
    summary.put("quantize", quantize == Quantize.INT8 ? Int8MatMulRewrite.INT8 : "none");
    summary.put("format_version", ExportMetadata.FORMAT_VERSION);
    Map<String, ModelProto> graphs = new LinkedHashMap<>();
    Map<String, Object> written = new LinkedHashMap<>();
    try (ExternalData ext = externalFile == null ? null : new ExternalData(externalFile)) {
      for (String file : new String[] {ExportMetadata.FULL_FILE, ExportMetadata.DECODE_FILE}) {
        ModelProto g;
        if (file.equals(ExportMetadata.FULL_FILE)) {
          g = DitOnnx.full(weights, props(metadata.withGraph(ExportMetadata.GRAPH_FULL), hash));
        } else if (weights.config().attention() != BackboneSpec.Attention.BIDIRECTIONAL) {
          g = DitOnnx.decode(weights, props(metadata.withGraph(ExportMetadata.GRAPH_DECODE), hash));
        } else {
          g = DitOnnx.block(weights, props(metadata.withGraph(ExportMetadata.GRAPH_DECODE), hash));
        }
        if (quantize == Quantize.INT8) {
          g = Int8MatMulRewrite.rewrite(g);
        }
        OnnxGraphCheck.check(g);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("nodes", g.getGraph().getNodeCount());
        f.put("initializers", g.getGraph().getInitializerCount());
        if (ext != null) {
          g = ext.externalize(g);
        }
        f.put("bytes", g.getSerializedSize());
        f.put("structural_check", "passed");
        written.put(file, f);
        graphs.put(file, g);
      }
      if (ext != null) {
        summary.put("external_data", Map.of("file", ExternalData.FILE, "bytes", ext.bytes()));
      }
    }
    summary.put("files", written);
    summary.put("build_seconds", (System.nanoTime() - t0) / 1e9);
    summary.put("training", metadata.training());
    return graphs;
  }

  /** The graph's {@code metadata_props}: the metadata plus the model hash. */
  private static Map<String, String> props(ExportMetadata metadata, String hash) {
    Map<String, String> p = new LinkedHashMap<>(metadata.toProps());
    p.put(ExportMetadata.MODEL_HASH_KEY, hash);
    return p;
  }

  /**
   * Checks, before any work, that {@code out} can become an export directory: it is not a regular
   * file, every existing ancestor is a directory and the nearest one is writable.
   *
   * @throws InvalidInputException naming {@code out} otherwise
   */
  public static void checkOut(Path out) {
    Path target = out.toAbsolutePath().normalize();
    if (Files.exists(target) && !Files.isDirectory(target)) {
      throw new InvalidInputException(
          "--out " + target + " is a file; expected an export directory to write");
    }
    for (Path p = target.getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new InvalidInputException("--out " + target + ": " + p + " is not a directory");
        }
        if (!Files.isWritable(p)) { // the export is written beside it first, then moved
          throw new InvalidInputException(
              "--out " + target + ": cannot write in " + p + " (" + unwritable(p) + ")");
        }
        return;
      }
    }
  }

  private static String unwritable(Path dir) {
    try {
      return Files.getFileStore(dir).isReadOnly() ? "read-only file system" : "permission denied";
    } catch (IOException e) {
      return "not writable";
    }
  }

  /** Moves {@code tmp} to {@code target}, swapping out an earlier export only after success. */
  private static void replace(Path tmp, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = target.resolveSibling("." + target.getFileName() + ".old" + System.nanoTime());
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
      if (old != null) {
        Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
      }
      throw e;
    }
    if (old != null) {
      deleteTree(old);
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
