package dev.dllm.data.corpus;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Strict UTF-8 decoding with byte offsets in errors: a malformed or truncated sequence is an {@link
 * InvalidInputException} naming the file and the byte offset. Long texts are handed out in chunks
 * of about {@code chunkChars} characters, cut after a newline where possible (see {@link
 * #safeCut}).
 */
final class StrictUtf8 {
  private StrictUtf8() {}

  /**
   * Decodes {@code length} bytes of {@code in}, whose first byte is at file offset {@code base},
   * into chunks passed to {@code sink}.
   */
  static void decode(
      InputStream in, long base, long length, String file, int chunkChars, Consumer<String> sink)
      throws IOException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
    CharBuffer chars = CharBuffer.allocate(1 << 16);
    StringBuilder text = new StringBuilder();
    long offset = base; // file offset of bytes[0]
    long left = length;
    boolean eof = false;
    while (true) {
      if (!eof) {
        int want = (int) Math.min(bytes.remaining(), left);
        int n = want == 0 ? -1 : in.read(bytes.array(), bytes.position(), want);
        if (n < 0) {
          eof = true;
        } else {
          refuseNul(bytes.array(), bytes.position(), n, offset, file);
          bytes.position(bytes.position() + n);
          left -= n;
        }
      }
      bytes.flip();
      CoderResult r = decoder.decode(bytes, chars, eof);
      if (r.isError()) {
        throw new InvalidInputException(
            String.format(
                "%s: invalid UTF-8 at byte offset %d (byte 0x%02X); the corpus must be UTF-8",
                file, offset + bytes.position(), bytes.get(bytes.position()) & 0xFF));
      }
      if (eof && r.isUnderflow() && bytes.hasRemaining()) {
        throw new InvalidInputException(
            file + ": truncated UTF-8 sequence at byte offset " + (offset + bytes.position()));
      }
      offset += bytes.position();
      bytes.compact();
      chars.flip();
      text.append(chars);
      chars.clear();
      if (text.length() >= chunkChars) {
        int cut = safeCut(text, chunkChars);
        sink.accept(text.substring(0, cut));
        text.delete(0, cut);
      }
      if (eof && bytes.position() == 0 && r.isUnderflow()) {
        break;
      }
    }
    decoder.flush(chars);
    chars.flip();
    text.append(chars);
    if (text.length() > 0) {
      sink.accept(text.toString());
    }
  }

  /**
   * Refuses a NUL byte: text has none, so the file is binary (or UTF-16, which is not UTF-8).
   *
   * @param from index of the first new byte in {@code a}, whose index 0 is at file offset {@code
   *     base}
   * @throws InvalidInputException naming the file and the byte offset
   */
  private static void refuseNul(byte[] a, int from, int n, long base, String file) {
    for (int i = from; i < from + n; i++) {
      if (a[i] == 0) {
        throw new InvalidInputException(
            file
                + ": NUL byte (0x00) at byte offset "
                + (base + i)
                + "; not a text file (binary, or UTF-16?): the corpus must be UTF-8 text");
      }
    }
  }

  /**
   * Where to cut a long text: after a '\n' that follows a non-space and precedes a non-space (so
   * GPT-2 style pre-tokenization sees the same pieces), searching back from the end to half the
   * chunk size; failing that after any '\n'; failing that at the end (never inside a surrogate
   * pair).
   */
  static int safeCut(CharSequence text, int chunkChars) {
    int end = text.length() - 1; // keep at least one char after the cut
    int floor = Math.max(2, chunkChars / 2);
    for (int i = end; i >= floor; i--) {
      if (text.charAt(i - 1) == '\n'
          && !Character.isWhitespace(text.charAt(i - 2))
          && !Character.isWhitespace(text.charAt(i))) {
        return i;
      }
    }
    for (int i = end; i >= floor; i--) {
      if (text.charAt(i - 1) == '\n') {
        return i;
      }
    }
    int cut = text.length();
    if (Character.isHighSurrogate(text.charAt(cut - 1))) {
      cut--;
    }
    return cut;
  }
}
