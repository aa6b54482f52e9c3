package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The on-disk token stream: a 16-byte header (magic {@code DLLMTOK1}, int64 count, little endian)
 * followed by {@code count} little-endian int32 ids. Read back memory-mapped in segments of 2^28
 * tokens, so a stream larger than 2 GB needs no heap.
 */
public final class TokenFile {
  static final byte[] MAGIC = "DLLMTOK1".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER = 16;
  private static final int SEGMENT_SHIFT = 28;
  private static final long SEGMENT = 1L << SEGMENT_SHIFT;

  private TokenFile() {}

  /** Streams ids into a new file; {@link #close()} writes the header. */
  public static final class Writer implements Closeable {
    private final FileChannel channel;
    private final ByteBuffer buffer =
        ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long count;

    /** Creates (or truncates) {@code file}. */
    public Writer(Path file) throws IOException {
      channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE);
      channel.position(HEADER);
    }

    /** Appends ids. */
    public void write(int[] ids) throws IOException {
      for (int id : ids) {
        write(id);
      }
    }

    /** Appends one id. */
    public void write(int id) throws IOException {
      if (!buffer.hasRemaining()) {
        flush();
      }
      buffer.putInt(id);
      count++;
    }

    /** Tokens written so far. */
    public long count() {
      return count;
    }

    private void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      buffer.clear();
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
        ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putLong(count).flip();
        channel.write(header, 0);
        channel.force(true);
      } finally {
        channel.close();
      }
    }
  }

  /**
   * Maps a token file read-only.
   *
   * @throws InvalidInputException when the file is not a complete token file
   */
  public static TokenSource map(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
      while (header.hasRemaining() && ch.read(header) >= 0) {
        // fill
      }
      header.flip();
      byte[] magic = new byte[MAGIC.length];
      if (header.remaining() < HEADER) {
        throw new InvalidInputException("token file " + file + " is truncated (no header)");
      }
      header.get(magic);
      long count = header.getLong();
      if (!java.util.Arrays.equals(magic, MAGIC) || ch.size() != HEADER + 4 * count) {
        throw new InvalidInputException(
            "token file " + file + " is corrupt (bad magic or size; delete the cache entry)");
      }
      int segments = (int) ((count + SEGMENT - 1) / SEGMENT);
      IntBuffer[] maps = new IntBuffer[segments];
      for (int s = 0; s < segments; s++) {
        long first = s * SEGMENT;
        long n = Math.min(SEGMENT, count - first);
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, HEADER + 4 * first, 4 * n);
        maps[s] = m.order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
      }
      return new Mapped(maps, count);
    }
  }

  private record Mapped(IntBuffer[] segments, long size) implements TokenSource {
    @Override
    public int get(long index) {
      if (index < 0 || index >= size) {
        throw new IndexOutOfBoundsException("token " + index + " not in [0, " + size + ")");
      }
      return segments[(int) (index >>> SEGMENT_SHIFT)].get((int) (index & (SEGMENT - 1)));
    }

    @Override
    public void read(long from, int[] dst, int offset, int length) {
      if (from < 0 || from + length > size) {
        throw new IndexOutOfBoundsException(
            "tokens [" + from + ", " + (from + length) + ") not in [0, " + size + ")");
      }
      while (length > 0) {
        int seg = (int) (from >>> SEGMENT_SHIFT);
        int pos = (int) (from & (SEGMENT - 1));
        int n = (int) Math.min(length, SEGMENT - pos);
        segments[seg].get(pos, dst, offset, n);
        from += n;
        offset += n;
        length -= n;
      }
    }
  }
}
