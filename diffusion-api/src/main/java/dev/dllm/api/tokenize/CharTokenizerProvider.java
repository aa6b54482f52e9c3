package dev.dllm.api.tokenize;

import dev.dllm.api.InvalidInputException;
import java.util.Map;

/** Provider of the {@code char} scheme ({@link CharTokenizer}). */
public final class CharTokenizerProvider implements TokenizerProvider {
  @Override
  public String scheme() {
    return "char";
  }

  @Override
  public Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample) {
    if (!argument.isEmpty()) {
      throw new InvalidInputException(
          "tokenizer 'char' takes no argument, got 'char:" + argument + "'");
    }
    if (state != null && !state.isEmpty()) {
      return CharTokenizer.fromState(state);
    }
    return CharTokenizer.fromSample(corpusSample);
  }
}
