package dev.dllm.data.corpus;

import java.util.Map;

/**
 * Statistics of a tokenized corpus (written as JSON next to the token files and by {@code dllm
 * tokenize}). Token counts include the EOS appended after every document (when the tokenizer has
 * one).
 *
 * @param source corpus path
 * @param format corpus layout
 * @param textField JSONL text field (null otherwise)
 * @param sha256 content hash of the corpus
 * @param tokenizer tokenizer spec
 * @param tokenizerState tokenizer state (e.g. the char vocabulary)
 * @param vocabSize V including specials and mask
 * @param documents documents in the corpus
 * @param trainDocuments documents in the train split
 * @param validDocuments documents in the validation split
 * @param bytes corpus bytes
 * @param trainBytes UTF-8 bytes of train text
 * @param validBytes UTF-8 bytes of validation text
 * @param trainTokens tokens in the train stream
 * @param validTokens tokens in the validation stream
 * @param validFraction requested validation fraction
 * @param splitRule how the split was made
 * @param tokenizeSeconds wall-clock seconds of the tokenization that built the cache entry
 * @param files files read (1 for a text or JSONL file, the {@code .txt} files of a folder)
 */
public record CorpusStats(
    String source,
    String format,
    String textField,
    String sha256,
    String tokenizer,
    Map<String, String> tokenizerState,
    int vocabSize,
    long documents,
    long trainDocuments,
    long validDocuments,
    long bytes,
    long trainBytes,
    long validBytes,
    long trainTokens,
    long validTokens,
    double validFraction,
    String splitRule,
    double tokenizeSeconds,
    int files) {

  /** All tokens (train + validation). */
  public long tokens() {
    return trainTokens + validTokens;
  }

  /** The validation share of all tokens, in [0, 1] (0 for an empty corpus). */
  public double validTokenShare() {
    return tokens() > 0 ? validTokens / (double) tokens() : 0;
  }

  /** Tokenization throughput in tokens per second (of the run that built the cache entry). */
  public double tokensPerSecond() {
    return tokenizeSeconds > 0 ? tokens() / tokenizeSeconds : Double.NaN;
  }

  /** Tokenization throughput in MB/s (10^6 bytes of text per second). */
  public double megabytesPerSecond() {
    return tokenizeSeconds > 0 ? (trainBytes + validBytes) / 1e6 / tokenizeSeconds : Double.NaN;
  }
}
