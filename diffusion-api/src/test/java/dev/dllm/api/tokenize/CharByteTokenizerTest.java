package dev.dllm.api.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CharByteTokenizerTest {

  @Test
  void charVocabIsSortedCodePointsThenSpecials() {
    Tokenizer t = Tokenizers.create("char", "hello world");
    // distinct sorted: ' ' d e h l o r w -> 8 characters
    assertEquals(12, t.vocabSize());
    assertEquals(new SpecialTokens(8, 9, 10, 11), t.specials());
    assertArrayEquals(new int[] {3, 2, 4, 4, 5, 0, 7, 5, 6, 4, 1}, t.encode("hello world"));
    assertEquals("hello world", t.decode(t.encode("hello world")));
    assertEquals("he", t.decode(new int[] {8, 3, 11, 2, 9, 10}));
  }

  @Test
  void charRestoresFromState() {
    String text = "Ünïcödé 𝄞 music ✓ and\nlines";
    Tokenizer t = Tokenizers.create("char", text);
    Map<String, String> state = t.state();
    Tokenizer restored = Tokenizers.restore("char", state);
    assertEquals(t.vocabSize(), restored.vocabSize());
    assertArrayEquals(t.encode(text), restored.encode(text));
    assertEquals(text, restored.decode(restored.encode(text)));
    // the supplementary character is one token
    assertEquals(text.codePointCount(0, text.length()), t.encode(text).length);
  }

  @Test
  void charUnknownCharacterIsNamed() {
    Tokenizer t = Tokenizers.create("char", "abc");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> t.encode("abz"));
    assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("U+007A"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> Tokenizers.create("char", null));
    assertThrows(
        InvalidInputException.class, () -> Tokenizers.restore("char", Map.of("chars", "ba")));
  }

  @Test
  void byteTokenizer() {
    Tokenizer t = Tokenizers.create("byte", null);
    assertInstanceOf(ByteTokenizer.class, t);
    assertEquals(260, t.vocabSize());
    assertEquals(259, t.specials().mask());
    String text = "naïve – 𝄞";
    int[] ids = t.encode(text);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertEquals(bytes.length, ids.length);
    for (int i = 0; i < bytes.length; i++) {
      assertEquals(bytes[i] & 0xFF, ids[i]);
    }
    assertEquals(text, t.decode(ids));
    assertEquals("A", t.decode(new int[] {256, 65, 259, 257}));
  }

  @Test
  void unknownSchemeListsKnownOnes() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Tokenizers.create("nope", null));
    assertTrue(e.getMessage().contains("byte") && e.getMessage().contains("char"), e.getMessage());
  }
}
