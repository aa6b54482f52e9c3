package dev.dllm.api.tokenize;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer (spec {@code byte}): ids 0..255 are the UTF-8 bytes of the text; BOS = 256,
 * EOS = 257, PAD = 258, MASK = 259, V = 260. Decoding drops special ids and replaces invalid UTF-8
 * byte sequences with U+FFFD.
 */
public final class ByteTokenizer implements Tokenizer {
  private static final SpecialTokens SPECIALS = new SpecialTokens(256, 257, 258, 259);

  @Override
  public String spec() {
    return "byte";
  }

  @Override
  public int vocabSize() {
    return 260;
  }

  @Override
  public SpecialTokens specials() {
    return SPECIALS;
  }

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  /**
   * @throws IllegalArgumentException for an id outside [0, 260)
   */
  @Override
  public String decode(int[] ids) {
    byte[] bytes = new byte[ids.length];
    int n = 0;
    for (int id : ids) {
      if (id >= 0 && id < 256) {
        bytes[n++] = (byte) id;
      } else if (id < 0 || id >= vocabSize()) {
        throw new IllegalArgumentException("token id " + id + " outside [0, " + vocabSize() + ")");
      }
    }
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }
}
