package dev.dllm.data.tokenize;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.TokenizerProvider;
import java.util.Map;

/** Provider of the {@code gpt2} scheme ({@link Gpt2Tokenizer}). */
public final class Gpt2TokenizerProvider implements TokenizerProvider {
  @Override
  public String scheme() {
    return "gpt2";
  }

  @Override
  public Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample) {
    if (!argument.isEmpty()) {
      throw new InvalidInputException(
          "tokenizer 'gpt2' takes no argument, got 'gpt2:" + argument + "'");
    }
    return new Gpt2Tokenizer();
  }
}
