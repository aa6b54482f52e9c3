package dev.dllm.data.tokenize;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.TokenizerProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Provider of the {@code hf:PATH} scheme (a local {@code tokenizer.json}). DJL's tokenizers binding
 * is optional: without it on the class path, {@link #create} fails with an {@link
 * InvalidInputException} that says so.
 */
public final class HfTokenizerProvider implements TokenizerProvider {
  @Override
  public String scheme() {
    return "hf";
  }

  @Override
  public String argumentHint() {
    return "PATH";
  }

  @Override
  public Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample) {
    String spec = "hf:" + argument;
    if (argument.isEmpty()) {
      throw new InvalidInputException("tokenizer 'hf' needs a path: hf:PATH/tokenizer.json");
    }
    Path file = Path.of(argument);
    if (Files.isDirectory(file)) {
      file = file.resolve("tokenizer.json");
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("tokenizer '" + spec + "': no such file " + file);
    }
    OptionalDependency.require(
        spec,
        "ai.djl.huggingface:tokenizers",
        "ai.djl.util.NativeResource",
        "ai.djl.huggingface.tokenizers.HuggingFaceTokenizer");
    return new HfTokenizer(spec, file);
  }
}
