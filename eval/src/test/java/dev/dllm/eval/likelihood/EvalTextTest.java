package dev.dllm.eval.likelihood;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.corpus.BlockMode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EvalTextTest {
  @Test
  void packKeepsTheShortLastRowUnpadded() {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh");
    EvalText t = EvalText.of("abcdefg", "x", Detokenizer.NONE, tok, 3, BlockMode.PACK, 0);
    assertEquals(2, t.rows().size()); // abc, def; a last row of 1 token scores nothing
    assertArrayEquals(tok.encode("abc"), t.rows().get(0));
    assertEquals(7, t.streamTokens());
    EvalText u = EvalText.of("abcdefgh", "x", Detokenizer.NONE, tok, 3, BlockMode.PACK, 0);
    assertEquals(3, u.rows().size());
    assertArrayEquals(tok.encode("gh"), u.rows().get(2));
    assertEquals(2, u.choices().get("last_row_length"));
  }

  @Test
  void wrapAddsBosEosAndDropsUnknownCharacters() {
    Tokenizer tok = Tokenizers.create("char", "abc");
    EvalText t = EvalText.of("abzc", "x", Detokenizer.NONE, tok, 4, BlockMode.WRAP, 0);
    assertEquals(1, t.droppedCharacters());
    int bos = tok.specials().bos();
    int eos = tok.specials().eos();
    int[] ab = tok.encode("ab");
    assertArrayEquals(new int[] {bos, ab[0], ab[1], eos}, t.rows().get(0));
    assertArrayEquals(new int[] {bos, tok.encode("c")[0], eos}, t.rows().get(1));
  }

  @Test
  void detokenizers() {
    assertEquals(
        "== Robert Boulter ==\nHe is a well-known actor, born 1,000.5 (in \"London\").",
        Detokenizer.WIKITEXT.apply(
            " = = Robert Boulter = = \n He is a well @-@ known actor , born 1 @,@ 000 @.@ 5 ( in \" London \" ) . "));
    assertEquals(
        "it wasn't black monday's $5/6",
        Detokenizer.PTB.apply(" it was n't black monday 's $ 5\\/6 "));
    assertEquals(Detokenizer.WIKITEXT, Detokenizer.forFile(Path.of("a/wiki.test.tokens")));
    assertEquals(Detokenizer.PTB, Detokenizer.forFile(Path.of("ptb.test.txt")));
    assertEquals(Detokenizer.NONE, Detokenizer.forFile(Path.of("input.txt")));
  }
}
