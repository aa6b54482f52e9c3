package dev.dllm.trainer.imports;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.Tensor;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A {@code torch.save} archive (PyTorch ≥ 1.6; a Lightning {@code .ckpt} is one): a zip holding
 * {@code PREFIX/data.pkl} (the pickled object, read by {@link TorchPickle}), {@code
 * PREFIX/data/KEY} (raw little-endian storages) and optionally {@code PREFIX/byteorder}. Tensors
 * are read lazily, one storage slice at a time, and converted to float32.
 */
public final class TorchZip implements Closeable {
  private final Path file;
  private final ZipFile zip;
  private final String prefix;
  private final Object root;

  private TorchZip(Path file, ZipFile zip, String prefix) throws IOException {
    this.file = file;
    this.zip = zip;
    this.prefix = prefix;
    ZipEntry order = zip.getEntry(prefix + "byteorder");
    if (order != null) {
      String bo = new String(readAll(order), StandardCharsets.US_ASCII).strip();
      if (!bo.equals("little")) {
        throw new InvalidInputException(
            file + ": storages are '" + bo + "' endian; only little-endian archives are read");
      }
    }
    byte[] pkl = readAll(zip.getEntry(prefix + "data.pkl"));
    this.root = TorchPickle.load(pkl, file + ": " + prefix + "data.pkl", this::storage);
  }

  /**
   * Opens {@code file} and unpickles its object (tensors stay on disk).
   *
   * @throws InvalidInputException naming the file when it is not a zip archive written by {@code
   *     torch.save}, holds no {@code data.pkl}, or its pickle is refused by {@link TorchPickle}
   */
  public static TorchZip open(Path file) throws IOException {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      byte[] head = new byte[2];
      try (InputStream in = Files.newInputStream(file)) {
        in.read(head);
      }
      throw new InvalidInputException(
          file
              + " is not a zip archive"
              + ((head[0] & 0xff) == 0x80
                  ? " (a legacy pre-1.6 torch.save file; re-save it with a current PyTorch)"
                  : "; expected a PyTorch/Lightning checkpoint written by torch.save"),
          e);
    }
    try {
      String prefix = null;
      for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
        String n = en.nextElement().getName();
        if (n.equals("data.pkl") || n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - 9) {
          prefix = n.substring(0, n.length() - "data.pkl".length());
          break;
        }
      }
      if (prefix == null) {
        throw new InvalidInputException(
            file
                + " is a zip archive without data.pkl; expected a checkpoint written by torch.save");
      }
      return new TorchZip(file, zip, prefix);
    } catch (IOException | RuntimeException e) {
      zip.close();
      throw e;
    }
  }

  /** The unpickled root object (a Lightning checkpoint: a map with {@code state_dict}, ...). */
  public Object root() {
    return root;
  }

  /** The archive file. */
  public Path file() {
    return file;
  }

  private Object storage(Object pid) {
    if (!(pid instanceof TorchPickle.Tuple t)
        || t.items().size() < 5
        || !"storage".equals(t.items().get(0))
        || !(t.items().get(1) instanceof TorchPickle.Global g)
        || g.kind() != PickleGlobals.Kind.STORAGE) {
      throw new InvalidInputException(
          file + ": data.pkl has a persistent id that is not a torch storage: " + pid);
    }
    List<Object> it = t.items();
    String key = String.valueOf(it.get(2));
    long numel = (Long) it.get(4);
    String dtype = PickleGlobals.storageDtype(g.name());
    ZipEntry e = zip.getEntry(prefix + "data/" + key);
    if (e == null) {
      throw new InvalidInputException(
          file + ": storage '" + key + "' named in data.pkl is missing from the archive");
    }
    if (e.getSize() >= 0 && e.getSize() < numel * width(dtype)) {
      throw new InvalidInputException(
          file + ": storage '" + key + "' is truncated (" + e.getSize() + " bytes)");
    }
    return new TensorRef.Storage(key, dtype, numel);
  }

  static int width(String dtype) {
    return switch (dtype) {
      case "F64", "I64" -> 8;
      case "F32", "I32" -> 4;
      case "F16", "BF16", "I16" -> 2;
      default -> 1;
    };
  }

  /**
   * Reads a tensor as float32 in row-major order (any strides).
   *
   * @param name the tensor's name, for messages
   * @throws InvalidInputException when its dtype is not a floating type
   */
  public Tensor read(String name, TensorRef t) throws IOException {
    String dtype = t.storage().dtype();
    if (!List.of("F32", "F16", "BF16", "F64").contains(dtype)) {
      throw new InvalidInputException(
          file + ": tensor '" + name + "' has dtype " + dtype + "; expected a floating type");
    }
    int w = width(dtype);
    long numel = t.numel();
    long first = t.offset();
    long last = first;
    for (int i = 0; i < t.size().length; i++) {
      last += t.size()[i] == 0 ? 0 : (t.size()[i] - 1) * t.stride()[i];
    }
    float[] out = new float[Math.toIntExact(numel)];
    if (numel == 0) {
      return new Tensor(out, t.shape());
    }
    long span = last - first + 1;
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(span * w)).order(ByteOrder.LITTLE_ENDIAN);
    try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data/" + t.storage().key()))) {
      in.skipNBytes(first * w);
      new DataInputStream(in).readFully(buf.array());
    }
    boolean contiguous = span == numel && isContiguous(t);
    int[] idx = new int[t.size().length];
    for (int k = 0; k < out.length; k++) {
      long at;
      if (contiguous) {
        at = k;
      } else {
        at = 0;
        for (int d = 0; d < idx.length; d++) {
          at += idx[d] * t.stride()[d];
        }
        for (int d = idx.length - 1; d >= 0; d--) {
          if (++idx[d] < t.size()[d]) {
            break;
          }
          idx[d] = 0;
        }
      }
      int p = Math.toIntExact(at * w);
      out[k] =
          switch (dtype) {
            case "F32" -> buf.getFloat(p);
            case "F64" -> (float) buf.getDouble(p);
            case "BF16" -> Float.intBitsToFloat((buf.getShort(p) & 0xffff) << 16);
            default -> halfToFloat(buf.getShort(p));
          };
    }
    return new Tensor(out, t.shape());
  }

  private static boolean isContiguous(TensorRef t) {
    long expect = 1;
    for (int d = t.size().length - 1; d >= 0; d--) {
      if (t.size()[d] != 1 && t.stride()[d] != expect) {
        return false;
      }
      expect *= t.size()[d];
    }
    return true;
  }

  /** IEEE 754 binary16 to float32. */
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
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private byte[] readAll(ZipEntry e) throws IOException {
    try (InputStream in = zip.getInputStream(e)) {
      return in.readAllBytes();
    }
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
