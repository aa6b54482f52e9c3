package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.ByteTokenizer;
import dev.dllm.api.tokenize.CharTokenizer;
import org.junit.jupiter.api.Test;

/** Issue 16, bad input: a prompt character the tokenizer cannot encode is named with its place. */
class PromptEncoderTest {
  private final CharTokenizer tok = CharTokenizer.fromSample("ab c\uD83D\uDE00");

  @Test
  void encodesKnownText() {
    assertArrayEquals(tok.encode("ab c"), PromptEncoder.encode(tok, "ab c", "prompt"));
  }

  @Test
  void namesTheCharacterItsCodePointAndItsPositionInCharacters() {
    // U+1F600 is two UTF-16 units: the position counts characters, so 'z' is at 3, not 4
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> PromptEncoder.encode(tok, "a\uD83D\uDE00bz", "prompt of sample 2"));
    String m = e.getMessage();
    assertTrue(m.startsWith("prompt of sample 2: character 'z' (U+007A) at position 3"), m);
    assertTrue(m.contains("char tokenizer"), m);
  }

  @Test
  void invisibleCharactersAreEscaped() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> PromptEncoder.encode(tok, "ab\nc", "p"));
    assertTrue(e.getMessage().contains("character '\\n' (U+000A) at position 2"), e.getMessage());
    assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
  }

  @Test
  void byteTokenizerEncodesEverything() {
    assertArrayEquals(
        new ByteTokenizer().encode("é\n"), PromptEncoder.encode(new ByteTokenizer(), "é\n", "p"));
  }
}
