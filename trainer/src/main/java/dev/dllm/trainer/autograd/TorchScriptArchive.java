package dev.dllm.trainer.autograd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript archive, in memory, of a parameter-free module {@code __torch__.<className>}: the
 * layout {@code torch.jit.save} writes ({@code data.pkl}: pickle protocol 2 GLOBAL, EMPTY_TUPLE,
 * NEWOBJ, the attribute dict {training: True}, BUILD; {@code code/__torch__.py}: the class source;
 * {@code constants.pkl}; {@code version}). Same format as the model's FusedKernels archive.
 */
public final class TorchScriptArchive {
  private TorchScriptArchive() {}

  /** The archive bytes of {@code source} defining class {@code className}. */
  public static byte[] of(String className, String source) {
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    pickle.write(0x80);
    pickle.write(2);
    ascii(pickle, "c__torch__\n" + className + "\n");
    pickle.write(')'); // EMPTY_TUPLE
    pickle.write(0x81); // NEWOBJ
    pickle.write('}'); // EMPTY_DICT
    pickle.write('('); // MARK
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    pickle.write('X'); // BINUNICODE, 4-byte little-endian length
    pickle.write(key.length);
    pickle.write(0);
    pickle.write(0);
    pickle.write(0);
    pickle.write(key, 0, key.length);
    pickle.write(0x88); // NEWTRUE
    pickle.write('u'); // SETITEMS
    pickle.write('b'); // BUILD
    pickle.write('.'); // STOP
    byte[] constants = {(byte) 0x80, 2, ')', '.'};
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      String root = className.toLowerCase(Locale.ROOT) + "/";
      stored(z, root + "data.pkl", pickle.toByteArray());
      stored(z, root + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      stored(z, root + "constants.pkl", constants);
      stored(z, root + "version", "10\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return zip.toByteArray();
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    out.write(b, 0, b.length);
  }

  private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    e.setCrc(crc.getValue());
    z.putNextEntry(e);
    z.write(data);
    z.closeEntry();
  }
}
