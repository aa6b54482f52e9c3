package dev.dllm.data.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.ByteTokenizer;
import dev.dllm.api.tokenize.CharTokenizer;
import dev.dllm.api.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SftBlocks}: prompt mask, EOS padding, skipping (never truncating), encoding errors. */
class SftBlocksTest {
  private static final Path FILE = Path.of("pairs.jsonl");
  private static final CharTokenizer CHARS = CharTokenizer.fromSample("abcdefgh ");

  private static SftPair pair(String prompt, String response, int line) {
    return new SftPair(prompt, response, line, SftPairs.FORMAT_PAIRS);
  }

  @Test
  void blockIsPromptResponseEosPaddedWithThePromptGiven() {
    SftBlocks b = SftBlocks.build(FILE, List.of(pair("ab", "cde", 1), pair("h", "", 2)), CHARS, 8);
    assertEquals(2, b.size());
    int eos = CHARS.specials().eos();
    int[] ids = new int[16];
    boolean[] given = new boolean[16];
    b.rows(new int[] {1, 0}, ids, given);
    int a = CHARS.encode("a")[0];
    int[] row0 = {a, a + 1, a + 2, a + 3, a + 4, eos, eos, eos};
    int[] h = CHARS.encode("h");
    assertArrayEquals(new int[] {h[0], eos, eos, eos, eos, eos, eos, eos}, slice(ids, 0, 8));
    assertArrayEquals(row0, slice(ids, 8, 8));
    boolean[] g1 = {true, false, false, false, false, false, false, false};
    boolean[] g0 = {true, true, false, false, false, false, false, false};
    assertArrayEquals(g1, java.util.Arrays.copyOfRange(given, 0, 8));
    assertArrayEquals(g0, java.util.Arrays.copyOfRange(given, 8, 16));
    assertEquals(3, b.promptTokens());
    assertEquals(3, b.responseTokens());
  }

  @Test
  void exactFitKeepsOneEosAndLongerPairsAreSkippedNotTruncated() {
    List<SftPair> pairs =
        List.of(pair("abc", "defg", 1), pair("abc", "defgh", 2), pair("a", "b", 3));
    SftBlocks b = SftBlocks.build(FILE, pairs, CHARS, 8);
    assertEquals(2, b.size(), "3 + 4 + EOS = 8 fits; 3 + 5 + EOS = 9 does not");
    assertArrayEquals(new int[] {2}, b.skipped());
    assertEquals(9, b.longestNeeded());
    int[] ids = new int[8];
    b.rows(new int[] {0}, ids, new boolean[8]);
    assertEquals(CHARS.specials().eos(), ids[7]);
    assertEquals(CHARS.encode("g")[0], ids[6]);
    int[] third = new int[8];
    b.rows(new int[] {1}, third, new boolean[8]);
    assertEquals(CHARS.encode("a")[0], third[0], "the skipped pair leaves no block");
    assertEquals(1, ((Number) b.summary().get("skipped")).intValue());
  }

  @Test
  void tooManySkippedIsRefusedNamingTheLengthThatFits() {
    List<SftPair> pairs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      pairs.add(pair("ab", i < 2 ? "cdefgh" : "c", i + 1)); // 2 of 20 need 9 tokens
    }
    SftBlocks b = SftBlocks.build(FILE, pairs, CHARS, 8);
    b.requireSkippedAtMost(10, "--max-skip PCT"); // 10% skipped: allowed
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> b.requireSkippedAtMost(5, "--max-skip"));
    assertTrue(e.getMessage().startsWith(FILE + ": 2 of 20 pairs (10.0%)"), e.getMessage());
    assertTrue(e.getMessage().contains("the longest needs 9, first skipped at line 1"));
    assertTrue(e.getMessage().contains("use --seq-len 9, or allow it with --max-skip"));
    SftBlocks none = SftBlocks.build(FILE, pairs.subList(0, 2), CHARS, 8);
    assertThrows(InvalidInputException.class, () -> none.requireSkippedAtMost(100, "--max-skip"));
  }

  @Test
  void anUnencodableCharacterNamesFileLineFieldAndCharacter() {
    List<SftPair> pairs = List.of(pair("ab", "cd", 1), pair("ab", "c7", 5));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> SftBlocks.build(FILE, pairs, CHARS, 8));
    assertTrue(e.getMessage().startsWith(FILE + ":5: field \"response\": "), e.getMessage());
    assertTrue(e.getMessage().contains("'7' (U+0037)"), e.getMessage());
    SftPair gsm = new SftPair("Question: x", " 1", 3, SftPairs.FORMAT_GSM8K);
    e =
        assertThrows(
            InvalidInputException.class, () -> SftBlocks.build(FILE, List.of(gsm), CHARS, 8));
    assertTrue(e.getMessage().startsWith(FILE + ":3: field \"question\": "), e.getMessage());
    e =
        assertThrows(
            InvalidInputException.class,
            () -> SftBlocks.build(FILE, List.of(pair("", "ab", 4)), CHARS, 8));
    assertEquals(FILE + ":4: field \"prompt\" is empty", e.getMessage());
  }

  @Test
  void gsm8kRecordsBecomeBlocksWithAByteTokenizer() throws Exception {
    Tokenizer bytes = new ByteTokenizer();
    List<SftPair> pairs = SftPairs.read(SftPairsTest.gsm8kHead());
    SftBlocks b = SftBlocks.build(FILE, pairs, bytes, 640);
    assertEquals(5, b.size());
    int[] ids = new int[640];
    boolean[] given = new boolean[640];
    b.rows(new int[] {0}, ids, given);
    int promptLen = bytes.encode(pairs.get(0).prompt()).length;
    for (int l = 0; l < 640; l++) {
      assertEquals(l < promptLen, given[l], "position " + l);
    }
    String text = bytes.decode(ids);
    assertEquals(pairs.get(0).prompt() + pairs.get(0).response(), text);
    assertEquals(bytes.specials().eos(), ids[511]);
  }

  private static int[] slice(int[] a, int from, int n) {
    return java.util.Arrays.copyOfRange(a, from, from + n);
  }
}
