package dev.dllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import org.junit.jupiter.api.Test;

/** The unit said next to a gen PPL: the scorer's token, and NOT comparable when re-tokenised. */
class GenPplUnitTest {
  @Test
  void sameTokenizerIsPerModelToken() {
    Tokenizer a = Tokenizers.create("char", "abc");
    GenPplUnit u = GenPplUnit.of(a, Tokenizers.create("char", "cab"));
    assertTrue(u.sameTokenizer());
    assertEquals("per character of the model's own tokenizer (char, the scorer's too)", u.note(0));
  }

  @Test
  void otherTokenizerIsNotComparableAndCountsDroppedCharacters() {
    GenPplUnit u = GenPplUnit.of(Tokenizers.create("char", "abc"), Tokenizers.create("gpt2", null));
    assertFalse(u.sameTokenizer());
    assertEquals(
        "per character of the scorer's char tokenizer; NOT comparable to the model's gpt2 tokens"
            + " (samples re-tokenised); 1,209 characters dropped (not encodable by the scorer)",
        u.note(1209));
    assertEquals(false, u.toMap().get("comparable_to_model_tokens"));
    // a char vocabulary of another corpus is another tokenizer too: its ids mean other characters
    assertFalse(
        GenPplUnit.of(Tokenizers.create("char", "abc"), Tokenizers.create("char", "abd"))
            .sameTokenizer());
    assertEquals("GPT-2 token", GenPplUnit.tokenWord("gpt2"));
    assertEquals("1 character dropped (not encodable by the scorer)", GenPplUnit.dropped(1));
  }
}
