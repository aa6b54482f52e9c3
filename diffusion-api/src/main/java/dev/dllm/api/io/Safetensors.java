package dev.dllm.api.io;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length N, N
 * bytes of JSON header ({@code {"__metadata__": {string: string}, name: {"dtype", "shape",
 * "data_offsets": [begin, end]}}}, offsets relative to the data section), then the raw
 * little-endian tensor bytes. Written as F32; F32, F64, F16 and BF16 are read (converted to
 * float32). Files larger than 2 GB are handled through {@link FileChannel} positional I/O. The
 * writing side is {@link SafetensorsWriter}.
 */
public final class Safetensors {
  private Safetensors() {}

  /** Largest accepted header (the format's own limit is 100 MB). */
  static final long MAX_HEADER = 100L << 20;

  /** Floats per buffered read or write (4 MiB). */
  static final int CHUNK_FLOATS = 1 << 20;

  /**
   * The contents of a file.
   *
   * @param tensors name to tensor in header order
   * @param metadata the {@code __metadata__} string map (empty when absent)
   */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    public Contents {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** One header entry: dtype, shape, and byte range in the data section. */
  public record Entry(String dtype, long[] shape, long begin, long end) {}

  /**
   * Writes {@code tensors} (float32) and {@code metadata} to {@code file} atomically: a temporary
   * file in the same folder is written, forced to disk and renamed over {@code file}. Metadata keys
   * are written sorted, so equal inputs give byte-identical files; the file gets the permissions
   * the umask gives.
   *
   * @throws IOException when writing fails (then {@code file} is unchanged)
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    SafetensorsWriter.write(file, tensors, metadata);
  }

  /**
   * Reads every tensor and the metadata.
   *
   * @throws InvalidInputException naming the file (and tensor) when the header is malformed, a
   *     dtype is unsupported, or a tensor's bytes are missing (truncated file)
   * @throws IOException when the file cannot be read
   */
  public static Contents read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header h = readHeader(file, ch);
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Map.Entry<String, Entry> e : h.entries.entrySet()) {
        out.put(e.getKey(), readTensor(file, ch, h, e.getKey(), e.getValue()));
      }
      return new Contents(out, h.metadata);
    }
  }

  /** The header entries (name to dtype/shape/offsets) without reading tensor data. */
  public static Map<String, Entry> entries(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return Collections.unmodifiableMap(readHeader(file, ch).entries);
    }
  }

  private record Header(
      Map<String, Entry> entries, Map<String, String> metadata, long dataStart, long dataSize) {}

  private static Header readHeader(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new InvalidInputException(
          "safetensors file " + file + " is truncated: " + size + " bytes, no header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0, "header length");
    long n = lenBuf.flip().getLong();
    if (n < 2 || n > MAX_HEADER) {
      throw new InvalidInputException(
          "safetensors file "
              + file
              + ": header length "
              + n
              + " is not in [2, "
              + MAX_HEADER
              + "]");
    }
    if (8 + n > size) {
      throw new InvalidInputException(
          "safetensors file "
              + file
              + " is truncated: header needs "
              + n
              + " bytes, file has "
              + (size - 8));
    }
    ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(file, ch, hb, 8, "header");
    String json = new String(hb.array(), StandardCharsets.UTF_8);
    Object root;
    try {
      root = MiniJson.parse(json);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "safetensors file " + file + ": bad header: " + e.getMessage(), e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new InvalidInputException("safetensors file " + file + ": header is not a JSON object");
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = (String) e.getKey();
      if (name.equals("__metadata__")) {
        if (!(e.getValue() instanceof Map<?, ?> md)) {
          throw new InvalidInputException(
              "safetensors file " + file + ": __metadata__ is not an object");
        }
        for (Map.Entry<?, ?> m : md.entrySet()) {
          if (!(m.getValue() instanceof String sv)) {
            throw new InvalidInputException(
                "safetensors file " + file + ": __metadata__." + m.getKey() + " is not a string");
          }
          metadata.put((String) m.getKey(), sv);
        }
        continue;
      }
      entries.put(name, entry(file, name, e.getValue()));
    }
    return new Header(entries, metadata, 8 + n, size - 8 - n);
  }

  private static Entry entry(Path file, String name, Object v) {
    String where = "safetensors file " + file + ": tensor '" + name + "'";
    if (!(v instanceof Map<?, ?> m)
        || !(m.get("dtype") instanceof String dtype)
        || !(m.get("shape") instanceof List<?> shapeList)
        || !(m.get("data_offsets") instanceof List<?> offs)
        || offs.size() != 2
        || !(offs.get(0) instanceof Long begin)
        || !(offs.get(1) instanceof Long end)) {
      throw new InvalidInputException(where + " needs dtype, shape and data_offsets [begin, end]");
    }
    long[] shape = new long[shapeList.size()];
    long numel = 1;
    for (int k = 0; k < shape.length; k++) {
      if (!(shapeList.get(k) instanceof Long s) || s < 0) {
        throw new InvalidInputException(where + " has a bad shape " + shapeList);
      }
      shape[k] = s;
      numel = Math.multiplyExact(numel, s);
    }
    int width = width(dtype);
    if (width < 0) {
      throw new InvalidInputException(
          where + " has dtype " + dtype + "; supported: F32, F64, F16, BF16");
    }
    if (begin < 0 || end < begin || end - begin != numel * width) {
      throw new InvalidInputException(
          where
              + ": data_offsets ["
              + begin
              + ", "
              + end
              + "] do not hold "
              + numel
              + " "
              + dtype
              + " values");
    }
    return new Entry(dtype, shape, begin, end);
  }

  private static int width(String dtype) {
    return switch (dtype) {
      case "F32" -> 4;
      case "F64" -> 8;
      case "F16", "BF16" -> 2;
      default -> -1;
    };
  }

  private static Tensor readTensor(Path file, FileChannel ch, Header h, String name, Entry e)
      throws IOException {
    if (e.end() > h.dataSize) {
      throw new InvalidInputException(
          "safetensors file "
              + file
              + " is truncated: tensor '"
              + name
              + "' needs data bytes ["
              + e.begin()
              + ", "
              + e.end()
              + "), the data section has "
              + h.dataSize);
    }
    long numel = 1;
    int[] shape = new int[e.shape().length];
    for (int k = 0; k < shape.length; k++) {
      shape[k] = Math.toIntExact(e.shape()[k]);
      numel *= shape[k];
    }
    if (numel > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          "safetensors file " + file + ": tensor '" + name + "' is too large for float[]");
    }
    float[] data = new float[(int) numel];
    int width = width(e.dtype());
    int chunk = CHUNK_FLOATS;
    ByteBuffer buf = ByteBuffer.allocateDirect(width * chunk).order(ByteOrder.LITTLE_ENDIAN);
    long pos = h.dataStart + e.begin();
    for (int off = 0; off < data.length; off += chunk) {
      int n = Math.min(chunk, data.length - off);
      buf.clear().limit(n * width);
      readFully(file, ch, buf, pos, "tensor '" + name + "'");
      pos += (long) n * width;
      buf.flip();
      switch (e.dtype()) {
        case "F32" -> buf.asFloatBuffer().get(data, off, n);
        case "F64" -> {
          for (int k = 0; k < n; k++) {
            data[off + k] = (float) buf.getDouble();
          }
        }
        case "F16" -> {
          for (int k = 0; k < n; k++) {
            data[off + k] = halfToFloat(buf.getShort());
          }
        }
        default -> {
          for (int k = 0; k < n; k++) {
            data[off + k] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
          }
        }
      }
    }
    return new Tensor(data, shape);
  }

  /** IEEE 754 binary16 to float32 (exact). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer b, long pos, String what)
      throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos);
      if (r < 0) {
        throw new InvalidInputException(
            "safetensors file " + file + " is truncated while reading " + what);
      }
      pos += r;
    }
  }
}
