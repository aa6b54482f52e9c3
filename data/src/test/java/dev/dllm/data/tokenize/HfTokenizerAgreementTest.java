package dev.dllm.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hf tokenizer over tokenizer.json files built here agrees with gpt2 and spm. */
class HfTokenizerAgreementTest {
  @TempDir static Path dir;
  static String shakespeare;
  static String wiki;

  @BeforeAll
  static void corpora() throws IOException {
    shakespeare = Files.readString(BundledCorpus.tinyShakespeare());
    wiki = Files.readString(SharedData.file("data/wikitext2/wiki.test.tokens"));
  }

  @Test
  void hfGpt2JsonGivesTheSameIdsAsJtokkit() {
    Path json = dir.resolve("gpt2-tokenizer.json");
    Gpt2TokenizerJson.write(
        SharedData.file("data/tokenizers/gpt2/encoder.json"),
        SharedData.file("data/tokenizers/gpt2/vocab.bpe"),
        json);
    Tokenizer hf = Tokenizers.create("hf:" + json, null);
    Tokenizer gpt2 = Tokenizers.create("gpt2", null);
    assertEquals(50258, hf.vocabSize());
    assertEquals(new SpecialTokens(50256, 50256, -1, 50257), hf.specials());
    assertArrayEquals(new int[] {15496, 995}, hf.encode("Hello world"));
    String literal = "a<|endoftext|>b";
    assertArrayEquals(gpt2.encode(literal), hf.encode(literal));
    // 300 kB of each corpus, each as one text
    for (String text :
        new String[] {shakespeare.substring(0, 300_000), wiki.substring(0, 300_000)}) {
      int[] ids = hf.encode(text);
      assertArrayEquals(gpt2.encode(text), ids);
      assertEquals(text, hf.decode(ids));
    }
  }

  @Test
  void hfLlamaJsonGivesTheSameIdsAsSentencePiece() {
    Path model = SharedData.file("data/tokenizers/llama2-sentencepiece/tokenizer.model");
    Path json = dir.resolve("llama-tokenizer.json");
    SentencePieceTokenizerJson.write(model, json);
    Tokenizer hf = Tokenizers.create("hf:" + json, null);
    Tokenizer spm = Tokenizers.create("spm:" + model, null);
    assertEquals(spm.vocabSize(), hf.vocabSize());
    assertEquals(spm.specials(), hf.specials());
    assertArrayEquals(spm.encode("Hello world"), hf.encode("Hello world"));
    // the first 2000 lines of wiki.test.tokens one by one (with literal "<unk>" strings: ordinary
    // text for both)
    String[] lines = java.util.Arrays.copyOf(wiki.split("\n"), 2000);
    int differ = 0;
    for (String line : lines) {
      if (!java.util.Arrays.equals(spm.encode(line), hf.encode(line))) {
        differ++;
      }
    }
    assertEquals(0, differ, "lines with different ids out of " + lines.length);
    // and a long piece of the bundled corpus as one text
    String text = shakespeare.substring(0, 200_000);
    int[] ids = hf.encode(text);
    assertArrayEquals(spm.encode(text), ids);
    assertEquals(text, hf.decode(ids));
  }
}
