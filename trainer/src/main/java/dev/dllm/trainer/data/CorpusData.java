package dev.dllm.trainer.data;

import dev.dllm.api.TokenBatch;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.corpus.BlockDataset;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.data.corpus.CorpusPipeline;
import dev.dllm.data.corpus.CorpusSource;
import dev.dllm.data.corpus.CorpusStats;
import dev.dllm.data.corpus.Newlines;
import dev.dllm.data.corpus.TokenizedCorpus;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link TrainingData} over the corpus pipeline of the {@code data} module: the corpus is tokenized
 * once (cached on disk), the train and validation streams are cut into blocks of L tokens ({@code
 * pack}: consecutive L tokens as the [SD] scaling runs, or {@code wrap}: BOS + L−2 tokens + EOS as
 * [MDLM]/[DUO]; spec §1.2). Training order: a fresh Fisher–Yates permutation of the train blocks
 * per epoch, seeded by (seed, epoch); or, in {@code window} mode, B windows at uniformly random
 * stream offsets drawn from (seed, step). Validation blocks in corpus order ({@code pack} blocks in
 * {@code window} mode). The split of the corpus into train and validation is the data module's
 * ({@link CorpusSource}: a byte tail of about a fraction f of a text file or of a folder's files).
 */
public final class CorpusData implements TrainingData {
  private final Tokenizer tokenizer;
  private final BlockDataset train;
  private final BlockDataset valid;
  private final long seed;
  private final CorpusStats stats;
  private final Path corpusPath;

  /** Spreads (seed, step) over distinct window-sampler seeds. */
  private static final long WINDOW_STRIDE = 0x9E3779B97F4A7C15L;

  private long cachedEpoch = -1;
  private int[] cachedOrder;

  private CorpusData(
      Tokenizer tokenizer,
      BlockDataset train,
      BlockDataset valid,
      long seed,
      CorpusStats stats,
      Path corpusPath) {
    this.stats = stats;
    this.corpusPath = corpusPath;
    this.tokenizer = tokenizer;
    this.train = train;
    this.valid = valid;
    this.seed = seed;
  }

  /**
   * Loads (and tokenizes on first use) a corpus.
   *
   * @param path corpus file or folder; null = the bundled Tiny Shakespeare
   * @param tokenizer a tokenizer to reuse (resume), or null to create one from {@code spec}
   * @param newlines line ends as read ({@link Newlines})
   * @throws dev.dllm.api.InvalidInputException for a missing/unreadable corpus, an unknown
   *     tokenizer or a corpus shorter than one block
   */
  public static CorpusData load(
      Path path,
      Tokenizer tokenizer,
      String spec,
      int seqLen,
      BlockMode mode,
      Newlines newlines,
      long seed) {
    Path p = path != null ? path : BundledCorpus.tinyShakespeare();
    CorpusPipeline pipeline = new CorpusPipeline();
    CorpusSource source = CorpusSource.of(p).withNewlines(newlines);
    TokenizedCorpus corpus =
        tokenizer != null ? pipeline.load(source, tokenizer) : pipeline.load(source, spec);
    return new CorpusData(
        corpus.tokenizer(),
        corpus.trainBlocks(seqLen, mode),
        corpus.validBlocks(seqLen, mode == BlockMode.WINDOW ? BlockMode.PACK : mode),
        seed,
        corpus.stats(),
        p.toAbsolutePath());
  }

  /**
   * The corpus and its split, as {@code train-report.json} records them: {@code path} (absolute),
   * {@code format}, {@code files}, {@code bytes}, {@code checksum} ("sha256:" + hex over the
   * relative names, sizes and bytes of the files in order) and {@code split}: {@code rule}, {@code
   * fraction} (requested), {@code train_tokens}, {@code valid_tokens} (token streams, one EOS per
   * document part included), {@code valid_token_share}, {@code train_bytes}, {@code valid_bytes}.
   */
  @Override
  public Map<String, Object> corpus() {
    Map<String, Object> split = new LinkedHashMap<>();
    split.put("rule", stats.splitRule());
    split.put("fraction", stats.validFraction());
    split.put("train_tokens", stats.trainTokens());
    split.put("valid_tokens", stats.validTokens());
    split.put("valid_token_share", stats.validTokenShare());
    split.put("train_bytes", stats.trainBytes());
    split.put("valid_bytes", stats.validBytes());
    Map<String, Object> m = new LinkedHashMap<>();
    // this corpus's path: a cache entry found by content may have been built from a copy elsewhere
    m.put("path", corpusPath.toString());
    m.put("format", stats.format());
    m.put("files", stats.files());
    m.put("bytes", stats.bytes());
    m.put("checksum", "sha256:" + stats.sha256());
    m.put("split", split);
    return m;
  }

  /**
   * {@code validation: 5.0% of tokens = 406,000 of 8,120,000 (rule: ...)}: the held-out share of
   * the token streams, the counts and the rule.
   */
  @Override
  public String splitLine() {
    return String.format(
        Locale.ROOT,
        "validation: %.1f%% of tokens = %,d of %,d (requested %.1f%%; rule: %s)",
        100 * stats.validTokenShare(),
        stats.validTokens(),
        stats.tokens(),
        100 * stats.validFraction(),
        stats.splitRule());
  }

  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public int seqLen() {
    return train.length();
  }

  @Override
  public long trainSequences() {
    return train.size();
  }

  @Override
  public long validSequences() {
    return valid.size();
  }

  @Override
  public synchronized TokenBatch trainBatch(long step, int batch) {
    if (train.mode() == BlockMode.WINDOW) {
      SplittableRandom rng = new SplittableRandom(seed * WINDOW_STRIDE + step);
      int len = train.length();
      int[] ids = new int[batch * len];
      for (int r = 0; r < batch; r++) {
        train.window(rng.nextLong(train.windowStarts()), ids, r * len);
      }
      return new TokenBatch(ids, batch, len);
    }
    long n = train.size();
    int[] idx = new int[batch];
    for (int r = 0; r < batch; r++) {
      long g = step * batch + r;
      idx[r] = order(g / n)[(int) (g % n)];
    }
    return new TokenBatch(train.batch(idx), batch, train.length());
  }

  @Override
  public TokenBatch validBatch(long index, int batch) {
    long n = valid.size();
    long first = index * batch;
    if (first >= n) {
      return null;
    }
    int rows = (int) Math.min(batch, n - first);
    int[] idx = new int[rows];
    for (int r = 0; r < rows; r++) {
      idx[r] = (int) (first + r);
    }
    return new TokenBatch(valid.batch(idx), rows, valid.length());
  }

  private int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      cachedOrder = train.shuffledOrder(new SplittableRandom(seed).split().nextLong() + epoch);
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }
}
