package dev.dllm.api.io;

import dev.dllm.api.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes {@link Safetensors} files: float32 tensors ({@code F32}) in the given order, metadata keys
 * sorted, header padded with spaces to a multiple of 8 bytes, data streamed in chunks of {@link
 * Safetensors#CHUNK_FLOATS}; atomically through a temporary sibling file.
 */
final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /**
   * Writes {@code tensors} (float32) and {@code metadata} to {@code file} atomically (see {@link
   * Safetensors#write}).
   *
   * @throws IOException when writing fails (then {@code file} is unchanged)
   */
  static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    // not Files.createTempFile, which makes the file 0600: this one follows the umask (0644)
    Path tmp;
    for (int attempt = 0; ; attempt++) {
      tmp =
          dir.resolve(
              "."
                  + abs.getFileName()
                  + "."
                  + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                  + ".tmp");
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        break;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
    try {
      writeDirect(tmp, tensors, metadata);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes the file in place (no temporary file); prefer {@link #write}. */
  static void writeDirect(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    byte[] header = header(tensors, metadata);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      len.putLong(header.length).flip();
      writeFully(ch, len);
      writeFully(ch, ByteBuffer.wrap(header));
      ByteBuffer buf =
          ByteBuffer.allocateDirect(4 * Safetensors.CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
      for (Tensor t : tensors.values()) {
        float[] d = t.data();
        for (int off = 0; off < d.length; off += Safetensors.CHUNK_FLOATS) {
          int n = Math.min(Safetensors.CHUNK_FLOATS, d.length - off);
          buf.clear();
          buf.asFloatBuffer().put(d, off, n);
          buf.limit(4 * n);
          writeFully(ch, buf);
        }
      }
      ch.force(true);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** The JSON header, padded with spaces to a multiple of 8 bytes. */
  static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
    StringBuilder j = new StringBuilder("{");
    boolean first = true;
    if (metadata != null && !metadata.isEmpty()) {
      j.append("\"__metadata__\":{");
      boolean f2 = true;
      // sorted: the same metadata gives the same bytes whatever the map's iteration order
      for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
        if (!f2) {
          j.append(',');
        }
        f2 = false;
        j.append(MiniJson.quote(e.getKey())).append(':').append(MiniJson.quote(e.getValue()));
      }
      j.append('}');
      first = false;
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("'__metadata__' is not a valid tensor name");
      }
      if (!first) {
        j.append(',');
      }
      first = false;
      long bytes = 4L * e.getValue().size();
      j.append(MiniJson.quote(e.getKey())).append(":{\"dtype\":\"F32\",\"shape\":[");
      int[] shape = e.getValue().shape();
      for (int k = 0; k < shape.length; k++) {
        j.append(k == 0 ? "" : ",").append(shape[k]);
      }
      j.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes);
      j.append("]}");
      offset += bytes;
    }
    j.append('}');
    byte[] raw = j.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (raw.length + 7) / 8 * 8;
    byte[] out = new byte[padded];
    System.arraycopy(raw, 0, out, 0, raw.length);
    for (int k = raw.length; k < padded; k++) {
      out[k] = ' ';
    }
    return out;
  }
}
