package dev.dllm.trainer.data;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.sft.SftBlocks;
import dev.dllm.data.sft.SftPair;
import dev.dllm.data.sft.SftPairs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link TrainingData} of supervised fine-tuning: prompt/response pairs ({@link SftPairs}) as
 * blocks of L with the prompt given ({@link SftBlocks}). Training order: a fresh Fisher–Yates
 * permutation of the training pairs per epoch, seeded by (seed, epoch), so step s's batch is a pure
 * function of (seed, s) and a resume sees exactly the batches of an uninterrupted run. Validation
 * pairs in file order: those of {@code --val-data}, or a fixed share of the data chosen by a
 * permutation independent of the seed (every run on a file holds out the same pairs).
 */
public final class SftData implements TrainingData {
  private final Tokenizer tokenizer;
  private final SftBlocks train;
  private final SftBlocks valid;
  private final long seed;
  private final Map<String, Object> summary;
  private long cachedEpoch = -1;
  private int[] cachedOrder;

  private SftData(
      Tokenizer tokenizer,
      SftBlocks train,
      SftBlocks valid,
      long seed,
      Map<String, Object> summary) {
    this.tokenizer = tokenizer;
    this.train = train;
    this.valid = valid;
    this.seed = seed;
    this.summary = summary;
  }

  /**
   * Reads, splits and encodes the pairs.
   *
   * @param data JSONL file of training pairs
   * @param valData JSONL file of held-out pairs, or null to hold out {@code valFraction} of {@code
   *     data}
   * @param maxSkipPercent refuse a file where more than this % of pairs do not fit L
   * @throws InvalidInputException naming the file and line of a malformed record or an unencodable
   *     character, or when too many pairs are skipped
   */
  public static SftData load(
      Path data,
      Path valData,
      double valFraction,
      double maxSkipPercent,
      Tokenizer tokenizer,
      int seqLen,
      long seed) {
    if (data == null) {
      throw new InvalidInputException("--data is required (a JSONL file of prompt/response pairs)");
    }
    List<SftPair> all = SftPairs.read(data);
    List<SftPair> trainPairs;
    List<SftPair> validPairs;
    Path validFile;
    if (valData != null) {
      trainPairs = all;
      validPairs = SftPairs.read(valData);
      validFile = valData;
    } else {
      List<List<SftPair>> split = SftPairs.split(data, all, valFraction);
      trainPairs = split.get(0);
      validPairs = split.get(1);
      validFile = data;
    }
    SftBlocks train = SftBlocks.build(data, trainPairs, tokenizer, seqLen);
    SftBlocks valid = SftBlocks.build(validFile, validPairs, tokenizer, seqLen);
    train.requireSkippedAtMost(maxSkipPercent, "--max-skip PCT");
    valid.requireSkippedAtMost(maxSkipPercent, "--max-skip PCT");
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("template", SftPairs.TEMPLATE);
    summary.put("formats", formats(all));
    summary.put("val_source", valData != null ? "--val-data" : "held out " + valFraction);
    summary.put("max_skip_percent", maxSkipPercent);
    summary.put("train", train.summary());
    summary.put("val", valid.summary());
    return new SftData(tokenizer, train, valid, seed, summary);
  }

  private static Map<String, Integer> formats(List<SftPair> pairs) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (SftPair p : pairs) {
      m.merge(p.format(), 1, Integer::sum);
    }
    return m;
  }

  /** What was read: template, formats, pairs, blocks, skipped pairs and tokens of both splits. */
  public Map<String, Object> summary() {
    return summary;
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
  public TokenBatch trainBatch(long step, int batch) {
    int[] ids = new int[batch * train.length()];
    train.rows(trainIndices(step, batch), ids, new boolean[ids.length]);
    return new TokenBatch(ids, batch, train.length());
  }

  @Override
  public boolean[] trainGiven(long step, int batch) {
    boolean[] given = new boolean[batch * train.length()];
    train.rows(trainIndices(step, batch), new int[given.length], given);
    return given;
  }

  @Override
  public TokenBatch validBatch(long index, int batch) {
    int[] idx = validIndices(index, batch);
    if (idx == null) {
      return null;
    }
    int[] ids = new int[idx.length * valid.length()];
    valid.rows(idx, ids, new boolean[ids.length]);
    return new TokenBatch(ids, idx.length, valid.length());
  }

  @Override
  public boolean[] validGiven(long index, int batch) {
    int[] idx = validIndices(index, batch);
    if (idx == null) {
      return null;
    }
    boolean[] given = new boolean[idx.length * valid.length()];
    valid.rows(idx, new int[given.length], given);
    return given;
  }

  private int[] validIndices(long index, int batch) {
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
    return idx;
  }

  private synchronized int[] trainIndices(long step, int batch) {
    long n = train.size();
    int[] idx = new int[batch];
    for (int r = 0; r < batch; r++) {
      long g = step * batch + r;
      idx[r] = order(g / n)[(int) (g % n)];
    }
    return idx;
  }

  private int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      int n = train.size();
      int[] o = new int[n];
      for (int i = 0; i < n; i++) {
        o[i] = i;
      }
      SplittableRandom rng =
          new SplittableRandom(new SplittableRandom(seed).split().nextLong() + epoch);
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = o[i];
        o[i] = o[j];
        o[j] = t;
      }
      cachedOrder = o;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }
}
