package dev.dllm.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenizerRoundTripTest {

  static Stream<Arguments> corporaAndTokenizers() {
    return Stream.of("char", "byte", "gpt2", "spm")
        .flatMap(t -> Stream.of(Arguments.of(t, "bundled"), Arguments.of(t, "wikitext2")));
  }

  private static String corpus(String which) throws IOException {
    Path p =
        which.equals("bundled")
            ? BundledCorpus.tinyShakespeare()
            : SharedData.file("data/wikitext2/wiki.test.tokens");
    return Files.readString(p, StandardCharsets.UTF_8);
  }

  private static String spec(String scheme) {
    return scheme.equals("spm")
        ? "spm:" + SharedData.file("data/tokenizers/llama2-sentencepiece/tokenizer.model")
        : scheme;
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("corporaAndTokenizers")
  void exactRoundTrip(String scheme, String which) throws IOException {
    String text = corpus(which);
    Tokenizer tok = Tokenizers.create(spec(scheme), text);
    int[] ids = tok.encode(text);
    assertTrue(ids.length > 0);
    for (int id : ids) {
      if (id < 0 || id >= tok.vocabSize() || id == tok.specials().mask()) {
        throw new AssertionError("bad id " + id);
      }
    }
    assertEquals(text, tok.decode(ids));
  }

  @Test
  void gpt2HelloWorld() {
    Tokenizer tok = Tokenizers.create("gpt2", null);
    assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
    assertEquals(50258, tok.vocabSize());
    assertEquals(new SpecialTokens(50256, 50256, -1, 50257), tok.specials());
    assertEquals("Hello world", tok.decode(new int[] {50256, 15496, 995, 50257, 50256}));
    // a literal <|endoftext|> in text is ordinary text, not the special id
    int[] ids = tok.encode("<|endoftext|>");
    assertTrue(ids.length > 1);
    assertEquals("<|endoftext|>", tok.decode(ids));
  }

  @Test
  void spmSpecialsAsInThePaper() {
    Tokenizer tok = Tokenizers.create(spec("spm"), null);
    assertEquals(32001, tok.vocabSize());
    assertEquals(1, tok.specials().bos());
    assertEquals(2, tok.specials().eos());
    assertEquals(32000, tok.specials().mask());
    assertEquals("Hello world", tok.decode(new int[] {1, 15043, 3186, 32000, 2}));
    // Llama-2: "Hello world" -> ▁Hello ▁world
    assertArrayEquals(new int[] {15043, 3186}, tok.encode("Hello world"));
  }

  @Test
  void missingFilesAreClearErrors() {
    assertThrows(InvalidInputException.class, () -> Tokenizers.create("spm:/no/such.model", null));
    assertThrows(InvalidInputException.class, () -> Tokenizers.create("hf:/no/such.json", null));
    assertThrows(InvalidInputException.class, () -> Tokenizers.create("gpt2:x", null));
  }
}
