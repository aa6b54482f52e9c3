package dev.dllm.api.tokenize;

import java.util.Map;

/**
 * Creates tokenizers of one scheme ({@code char}, {@code byte}, {@code gpt2}, {@code hf}, {@code
 * spm}); registered in {@code META-INF/services/dev.dllm.api.tokenize.TokenizerProvider}.
 */
public interface TokenizerProvider {

  /** The part of the spec before the first ':'. */
  String scheme();

  /**
   * What follows {@code scheme:} in a spec, for help texts ({@code PATH} for a tokenizer file), or
   * empty when the scheme takes no argument (the spec is the scheme alone).
   */
  default String argumentHint() {
    return "";
  }

  /**
   * Creates a tokenizer.
   *
   * @param argument the part of the spec after ':' (a path), or empty
   * @param state stored state from {@link Tokenizer#state()}; may be empty for a fresh tokenizer
   * @param corpusSample text to build a vocabulary from (char-level), or null when restoring
   */
  Tokenizer create(String argument, Map<String, String> state, CharSequence corpusSample);
}
