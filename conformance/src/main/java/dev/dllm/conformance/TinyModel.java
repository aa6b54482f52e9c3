package dev.dllm.conformance;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;

/**
 * The tiny DiT and batch a {@link FamilyConformanceTestCase} runs on: small enough that the whole
 * kit takes seconds, large enough that every branch of the network is exercised (at least one
 * block, two heads).
 *
 * @param hidden d
 * @param blocks number of DiT blocks
 * @param heads H (d / H must be even: rotary halves)
 * @param condDim adaLN conditioning width
 * @param batch B, rows of every batch the kit builds
 * @param length L, tokens per row (also the training and export sequence length)
 * @param alphabet the characters of the kit's corpus; the {@code char} tokenizer over them has V =
 *     alphabet.length() + 4 ids (BOS, EOS, PAD, MASK after the characters)
 */
public record TinyModel(
    int hidden, int blocks, int heads, int condDim, int batch, int length, String alphabet) {

  /** d = 32, 1 block, 2 heads, cond 16, B = 2, L = 8, V = 12 (eight characters). */
  public static final TinyModel DEFAULT = new TinyModel(32, 1, 2, 16, 2, 8, "abcdefgh");

  /**
   * Checks the shape.
   *
   * @throws IllegalArgumentException for non-positive sizes, L &lt; 3, heads of odd size or an
   *     alphabet with repeated characters
   */
  public TinyModel {
    if (hidden < 1 || blocks < 1 || heads < 1 || condDim < 1 || batch < 1 || length < 3) {
      throw new IllegalArgumentException("tiny model needs positive sizes and L >= 3: " + this);
    }
    if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
      throw new IllegalArgumentException(
          "hidden " + hidden + " must split into " + heads + " heads of even size");
    }
    if (alphabet.codePoints().distinct().count() != alphabet.codePoints().count()
        || alphabet.isEmpty()) {
      throw new IllegalArgumentException(
          "alphabet must be distinct characters: '" + alphabet + "'");
    }
  }

  /** Vocabulary size V of the {@code char} tokenizer over {@link #alphabet}. */
  public int vocabSize() {
    return (int) alphabet.codePoints().count() + 4;
  }

  /** The DiT shape for a family needing {@code attention}, without dropout. */
  public DitConfig config(BackboneSpec.Attention attention) {
    return new DitConfig(vocabSize(), hidden, blocks, heads, condDim, attention, 0.0);
  }
}
