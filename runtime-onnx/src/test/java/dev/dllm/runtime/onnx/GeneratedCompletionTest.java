package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.tokenize.CharTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 16 §3: a span cut at EOS, at a stop string or by its length, on hand-made ids. */
class GeneratedCompletionTest {
  // ids: ' '=0 '.'=1 a=2 b=3 c=4 d=5; BOS 6, EOS 7, PAD 8, MASK 9
  private final CharTokenizer tok = CharTokenizer.fromSample(" .abcd");
  private final int eos = tok.specials().eos();

  private int[] ids(String text) {
    return tok.encode(text);
  }

  private static int[] concat(int[]... parts) {
    int n = 0;
    for (int[] p : parts) {
      n += p.length;
    }
    int[] out = new int[n];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  @Test
  void cutAtTheFirstEos() {
    int[] span = concat(ids("ab c"), new int[] {eos}, ids("dd"), new int[] {eos});
    Completion c = Completion.of(span, tok, eos, true, List.of());
    assertEquals("ab c", c.text());
    assertEquals(Completion.EOS, c.stopReason());
    assertEquals(4, c.tokens());
  }

  @Test
  void withoutStopAtEosTheEosIsDroppedAndTheSpanRunsOn() {
    int[] span = concat(ids("ab"), new int[] {eos}, ids("cd"));
    Completion c = Completion.of(span, tok, eos, false, List.of());
    assertEquals("abcd", c.text());
    assertEquals(Completion.LENGTH, c.stopReason());
    assertEquals(5, c.tokens());
  }

  @Test
  void cutBeforeTheEarliestStopString() {
    Completion c = Completion.of(ids("abc. dab."), tok, eos, true, List.of("da", "."));
    assertEquals("abc", c.text());
    assertEquals(Completion.STOP, c.stopReason());
    // a stop string spanning several tokens, at the very start
    assertEquals("", Completion.of(ids("abcd"), tok, eos, true, List.of("ab")).text());
  }

  @Test
  void aStopStringAfterTheEosDoesNotCount() {
    int[] span = concat(ids("ab"), new int[] {eos}, ids("c."));
    Completion c = Completion.of(span, tok, eos, true, List.of("."));
    assertEquals("ab", c.text());
    assertEquals(Completion.EOS, c.stopReason());
  }

  @Test
  void aStopStringBeforeTheEosWins() {
    int[] span = concat(ids("a.b"), new int[] {eos}, ids("c"));
    Completion c = Completion.of(span, tok, eos, true, List.of("."));
    assertEquals("a", c.text());
    assertEquals(Completion.STOP, c.stopReason());
  }

  @Test
  void aFullSpanStopsByLength() {
    Completion c = Completion.of(ids("abcd"), tok, eos, true, List.of("x"));
    assertEquals("abcd", c.text());
    assertEquals(Completion.LENGTH, c.stopReason());
    // an EOS as the first generated token: an empty completion
    Completion e = Completion.of(new int[] {eos, 2}, tok, eos, true, List.of());
    assertEquals("", e.text());
    assertEquals(Completion.EOS, e.stopReason());
    // a tokenizer without EOS never stops at it
    assertEquals(
        Completion.LENGTH, Completion.of(ids("ab"), tok, -1, true, List.of()).stopReason());
  }

  @Test
  void otherSpecialIdsAreNotDecoded() {
    int[] span = {2, tok.specials().pad(), 3, tok.specials().bos()};
    assertEquals("ab", Completion.of(span, tok, eos, true, List.of()).text());
  }
}
