package dev.dllm.api.tokenize;

import java.util.Map;

/**
 * Text to token ids and back. Implementations: char-level, byte-level, GPT-2 BPE, HF {@code
 * tokenizer.json}, SentencePiece; created from a spec string ({@code char}, {@code byte}, {@code
 * gpt2}, {@code hf:PATH}, {@code spm:PATH}) by {@link Tokenizers}.
 */
public interface Tokenizer {

  /** The spec string that recreates this tokenizer (with {@link #state()}). */
  String spec();

  /** V, including special ids and the mask id. */
  int vocabSize();

  /** Special ids (BOS, EOS, PAD, MASK). */
  SpecialTokens specials();

  /** Ids of {@code text}; no special tokens are added. */
  int[] encode(String text);

  /** Text of {@code ids}; special ids (BOS, EOS, PAD, MASK) are dropped. */
  String decode(int[] ids);

  /**
   * State that must be stored with a model to recreate this tokenizer (for example the char
   * vocabulary); empty when the spec alone suffices.
   */
  default Map<String, String> state() {
    return Map.of();
  }
}
