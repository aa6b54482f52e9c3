package dev.dllm.data.tokenize;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.TokenizerProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Provider of the {@code spm:PATH} scheme. DJL's SentencePiece binding is optional: without it on
 * the class path, {@link #create} fails with an {@link InvalidInputException} that says so.
 */
public final class SpmTokenizerProvider implements TokenizerProvider {
  @Override
  public String scheme() {
    return "spm";
  }

  @Override
  public String argumentHint() {
    return "PATH";
  }

  @Override
  public Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample) {
    String spec = "spm:" + argument;
    if (argument.isEmpty()) {
      throw new InvalidInputException("tokenizer 'spm' needs a path: spm:PATH/tokenizer.model");
    }
    Path file = Path.of(argument);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("tokenizer '" + spec + "': no such file " + file);
    }
    OptionalDependency.require(
        spec,
        "ai.djl.sentencepiece:sentencepiece",
        "ai.djl.util.NativeResource",
        "ai.djl.sentencepiece.SpTokenizer");
    return new SpmTokenizer(spec, file);
  }
}
