package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BlockDatasetTest {
  private static final SpecialTokens SPECIALS = new SpecialTokens(1000, 1001, -1, 1002);

  private static int[] stream(int n) {
    int[] s = new int[n];
    for (int i = 0; i < n; i++) {
      s[i] = i % 997;
    }
    return s;
  }

  @Test
  void wrapCutsBosPlusLMinus2PlusEos() {
    int[] s = stream(2500);
    BlockDataset ds = BlockDataset.of(TokenSource.of(s), 1024, BlockMode.WRAP, SPECIALS, "test");
    assertEquals(2, ds.size());
    assertEquals(456, ds.droppedTokens());
    for (int b = 0; b < 2; b++) {
      int[] row = ds.block(b);
      assertEquals(1024, row.length);
      assertEquals(1000, row[0]);
      assertEquals(1001, row[1023]);
      assertArrayEquals(
          Arrays.copyOfRange(s, b * 1022, (b + 1) * 1022), Arrays.copyOfRange(row, 1, 1023));
    }
  }

  @Test
  void tooShortIsAClearError() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                BlockDataset.of(TokenSource.of(stream(1000)), 1024, BlockMode.WRAP, SPECIALS, "x"));
    assertTrue(e.getMessage().contains("corpus shorter than one block"), e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> BlockDataset.of(TokenSource.of(stream(1023)), 1024, BlockMode.PACK, SPECIALS, "x"));
  }

  @Test
  void packIsContiguous() {
    int[] s = stream(2500);
    BlockDataset ds = BlockDataset.of(TokenSource.of(s), 1024, BlockMode.PACK, SPECIALS, "test");
    assertEquals(2, ds.size());
    assertEquals(2500 - 2048, ds.droppedTokens());
    assertArrayEquals(Arrays.copyOfRange(s, 1024, 2048), ds.block(1));
    int[] batch = ds.batch(new int[] {1, 0});
    assertArrayEquals(Arrays.copyOfRange(s, 1024, 2048), Arrays.copyOfRange(batch, 0, 1024));
    assertArrayEquals(Arrays.copyOfRange(s, 0, 1024), Arrays.copyOfRange(batch, 1024, 2048));
  }

  @Test
  void wrapNeedsBosAndEos() {
    SpecialTokens none = new SpecialTokens(-1, -1, -1, 5);
    assertThrows(
        InvalidInputException.class,
        () -> BlockDataset.of(TokenSource.of(stream(100)), 10, BlockMode.WRAP, none, "x"));
  }

  @Test
  void shuffledOrderIsADeterministicPermutation() {
    BlockDataset ds =
        BlockDataset.of(TokenSource.of(stream(10_000)), 10, BlockMode.PACK, SPECIALS, "t");
    int[] a = ds.shuffledOrder(42);
    int[] b = ds.shuffledOrder(42);
    int[] c = ds.shuffledOrder(43);
    assertArrayEquals(a, b);
    assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    int[] sorted = a.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
  }
}
