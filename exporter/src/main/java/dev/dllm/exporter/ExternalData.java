package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * ONNX external data (onnx/onnx {@code docs/ExternalData.md}): initializers move out of the graph
 * into one weights file next to it ({@value #FILE}), each referenced by {@code location}, {@code
 * offset} and {@code length} with {@code data_location = EXTERNAL}, so a model over protobuf's 2
 * GiB limit can be written, and ONNX Runtime, given the graph's path, reads the weights from beside
 * it. The full and the decode graph share the file: an initializer with the same name and bytes is
 * written once.
 */
final class ExternalData implements Closeable {
  /** The weights file of an export with external data. */
  static final String FILE = ExportMetadata.EXTERNAL_DATA_FILE;

  /** Models with more parameter bytes than this are exported with external data. */
  static final long DEFAULT_THRESHOLD = 1_800_000_000L;

  /** Initializers smaller than this stay inside the graph (shape constants and the like). */
  static final int MIN_BYTES = 1024;

  /** Offset alignment of each tensor in the file (bytes). */
  static final int ALIGN = 64;

  private final FileChannel ch;
  private final Map<String, long[]> written = new HashMap<>();
  private final Map<String, byte[]> digests = new HashMap<>();
  private long end;

  ExternalData(Path file) throws IOException {
    this.ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** Bytes written so far. */
  long bytes() {
    return end;
  }

  /** {@code m} with every initializer of at least {@link #MIN_BYTES} moved into the file. */
  ModelProto externalize(ModelProto m) throws IOException {
    ModelProto.Builder b = m.toBuilder();
    for (TensorProto.Builder t : b.getGraphBuilder().getInitializerBuilderList()) {
      ByteString raw = t.getRawData();
      if (raw.size() < MIN_BYTES) {
        continue;
      }
      byte[] digest = sha256(raw);
      long[] at = written.get(t.getName());
      if (at == null || at[1] != raw.size() || !Arrays.equals(digests.get(t.getName()), digest)) {
        long offset = (end + ALIGN - 1) / ALIGN * ALIGN;
        ByteBuffer buf = raw.asReadOnlyByteBuffer();
        for (long p = offset; buf.hasRemaining(); ) {
          p += ch.write(buf, p);
        }
        at = new long[] {offset, raw.size()};
        end = offset + raw.size();
        if (!written.containsKey(t.getName())) {
          written.put(t.getName(), at);
          digests.put(t.getName(), digest);
        }
      }
      t.clearRawData()
          .setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", FILE))
          .addExternalData(entry("offset", Long.toString(at[0])))
          .addExternalData(entry("length", Long.toString(at[1])));
    }
    return b.build();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static byte[] sha256(ByteString raw) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(raw.asReadOnlyByteBuffer());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  @Override
  public void close() throws IOException {
    ch.force(true);
    ch.close();
  }
}
