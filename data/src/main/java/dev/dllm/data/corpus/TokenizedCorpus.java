package dev.dllm.data.corpus;

import dev.dllm.api.tokenize.Tokenizer;

/**
 * A tokenized corpus: the tokenizer, the memory-mapped train and validation token streams
 * (documents separated by EOS) and their statistics. Cut the streams into rows with {@link
 * #trainBlocks} / {@link #validBlocks}.
 */
public final class TokenizedCorpus {
  private final Tokenizer tokenizer;
  private final TokenSource train;
  private final TokenSource valid;
  private final CorpusStats stats;
  private final boolean cacheHit;
  private final java.nio.file.Path cacheEntry;

  TokenizedCorpus(
      Tokenizer tokenizer,
      TokenSource train,
      TokenSource valid,
      CorpusStats stats,
      boolean cacheHit,
      java.nio.file.Path cacheEntry) {
    this.tokenizer = tokenizer;
    this.train = train;
    this.valid = valid;
    this.stats = stats;
    this.cacheHit = cacheHit;
    this.cacheEntry = cacheEntry;
  }

  /** The tokenizer (store its spec and state with a model). */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Train token stream. */
  public TokenSource train() {
    return train;
  }

  /** Validation token stream (may be empty). */
  public TokenSource valid() {
    return valid;
  }

  /** Statistics. */
  public CorpusStats stats() {
    return stats;
  }

  /** Whether the token files came from the cache (no tokenization in this call). */
  public boolean cacheHit() {
    return cacheHit;
  }

  /** The cache folder holding {@code train.tok}, {@code valid.tok} and {@code stats.json}. */
  public java.nio.file.Path cacheEntry() {
    return cacheEntry;
  }

  /**
   * Train rows of L tokens.
   *
   * @throws dev.dllm.api.InvalidInputException "corpus shorter than one block" when none fits
   */
  public BlockDataset trainBlocks(int length, BlockMode mode) {
    return BlockDataset.of(
        train, length, mode, tokenizer.specials(), "the train split of " + stats.source());
  }

  /**
   * Validation rows of L tokens.
   *
   * @throws dev.dllm.api.InvalidInputException "corpus shorter than one block" when none fits
   */
  public BlockDataset validBlocks(int length, BlockMode mode) {
    return BlockDataset.of(
        valid, length, mode, tokenizer.specials(), "the validation split of " + stats.source());
  }
}
