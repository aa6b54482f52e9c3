package dev.dllm.api.model;

/**
 * Shape of the reference DiT backbone (spec §7): d = hidden, H heads of d_h = d / H, n blocks,
 * cond_dim for the adaLN conditioning, MLP ratio 4, rotary base 10000, no absolute positions.
 *
 * @param vocabSize V including the mask id
 * @param hidden d
 * @param blocks number of transformer blocks
 * @param heads H
 * @param condDim adaLN conditioning width (128 in every paper config)
 * @param attention attention pattern the weights were trained with
 * @param dropout residual-branch dropout (training only; 0 in the paper's runs)
 */
public record DitConfig(
    int vocabSize,
    int hidden,
    int blocks,
    int heads,
    int condDim,
    BackboneSpec.Attention attention,
    double dropout) {

  /** Width of the sinusoidal sigma features (cos first, then sin). */
  public static final int FREQUENCY_EMBEDDING = 256;

  /** MLP hidden width = MLP_RATIO * d. */
  public static final int MLP_RATIO = 4;

  public DitConfig {
    if (vocabSize < 2 || hidden < 1 || blocks < 1 || heads < 1 || condDim < 1) {
      throw new IllegalArgumentException("invalid DiT shape: " + this);
    }
    if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
      throw new IllegalArgumentException(
          "hidden " + hidden + " must split into " + heads + " heads of even size");
    }
  }

  /** Head dimension d_h = d / H. */
  public int headDim() {
    return hidden / heads;
  }

  /** N_eff = 12 * blocks * d^2 + d * V, the parameter count used for FLOPs (spec §7.7). */
  public long nEff() {
    return 12L * blocks * hidden * hidden + (long) hidden * vocabSize;
  }

  /** A copy with another vocabulary size. */
  public DitConfig withVocabSize(int v) {
    return new DitConfig(v, hidden, blocks, heads, condDim, attention, dropout);
  }

  /** A copy with another attention pattern. */
  public DitConfig withAttention(BackboneSpec.Attention a) {
    return new DitConfig(vocabSize, hidden, blocks, heads, condDim, a, dropout);
  }
}
