package dev.dllm.api.tokenize;

import dev.dllm.api.InvalidInputException;
import java.util.Map;

/** Provider of the {@code byte} scheme ({@link ByteTokenizer}). */
public final class ByteTokenizerProvider implements TokenizerProvider {
  @Override
  public String scheme() {
    return "byte";
  }

  @Override
  public Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample) {
    if (!argument.isEmpty()) {
      throw new InvalidInputException(
          "tokenizer 'byte' takes no argument, got 'byte:" + argument + "'");
    }
    return new ByteTokenizer();
  }
}
