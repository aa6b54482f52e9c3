package dev.dllm.trainer.data;

import dev.dllm.api.TokenBatch;
import dev.dllm.api.tokenize.Tokenizer;

/**
 * Training and validation sequences of L tokens as the trainer consumes them. Batches are a pure
 * function of (seed, step), so a resumed run sees exactly the batches of an uninterrupted one and
 * needs no iterator state.
 */
public interface TrainingData {

  /** The tokenizer the ids come from. */
  Tokenizer tokenizer();

  /** L, tokens per sequence. */
  int seqLen();

  /** Number of training sequences in one epoch. */
  long trainSequences();

  /** Number of validation sequences. */
  long validSequences();

  /**
   * The global batch of optimizer step {@code step}: sequences {@code step·B .. step·B + B − 1} of
   * the shuffled training order (a fresh permutation per epoch, derived from the seed).
   *
   * @return ids {@code [B, L]}
   */
  TokenBatch trainBatch(long step, int batch);

  /**
   * Validation batch {@code index}: sequences {@code index·B ..} in corpus order, the last batch
   * possibly shorter.
   *
   * @return ids {@code [b, L]} with 1 &lt;= b &lt;= B, or null past the end
   */
  TokenBatch validBatch(long index, int batch);

  /**
   * The given (prompt) mask of {@link #trainBatch}: {@code [B, L]}, true at positions the objective
   * keeps clean and does not score ({@link dev.dllm.api.train.TrainingBatch#given}); null when
   * nothing is given (pre-training, the default).
   */
  default boolean[] trainGiven(long step, int batch) {
    return null;
  }

  /**
   * The given mask of {@link #validBatch}; null when nothing is given (then validation scores every
   * position with the family's {@code nelbo}, else the free ones with {@code conditionalNelbo}).
   */
  default boolean[] validGiven(long index, int batch) {
    return null;
  }

  /**
   * The pre-training corpus and its train/validation split for {@code train-report.json} (path,
   * checksum, file count, split rule, fraction and token counts); null when the data is not a
   * corpus (fine-tuning pairs report their own summary).
   */
  default java.util.Map<String, Object> corpus() {
    return null;
  }

  /** One console line stating the validation split and its rule, or null. */
  default String splitLine() {
    return null;
  }
}
