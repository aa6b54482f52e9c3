package dev.dllm.data.tokenize;

/**
 * A tokenizer that can encode text which continues a document already partly encoded, giving the
 * ids the whole document would have had. Used by the corpus pipeline for documents it tokenizes in
 * pieces cut after a newline. Tokenizers without this interface (char, byte, GPT-2 style BPE) need
 * nothing special at such cuts.
 */
public interface ContinuationEncoder {

  /**
   * Ids of {@code text} when it directly follows a '\n' in the same document; no special tokens.
   */
  int[] encodeContinuation(String text);
}
