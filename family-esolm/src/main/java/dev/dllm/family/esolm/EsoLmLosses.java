package dev.dllm.family.esolm;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.MaskedSoftmax;

/**
 * Per-token losses of the two Eso-LM branches in float64 (spec §4.1–4.3; [SD] algo.py {@code
 * EsoLM.nll}, {@code _reconstruction_loss}). The tokens are fed in sorted order, the network's
 * outputs come back in sorted order, the loss −log p(x0 | ·) is taken there (after a
 * mask-suppressed log-softmax: logits are always log-normalised before the gather, spec §10.18),
 * and both the losses and the validity mask (z = mask at that token) are scattered back to the
 * original positions with the same order ({@link Orders}).
 */
public final class EsoLmLosses {
  private EsoLmLosses() {}

  /**
   * Per-token values of a batch in the original frame.
   *
   * @param loss −log p_θ(x0^l | ·) in nats {@code [B, L]} (computed at every position)
   * @param valid 1 where the token counts (masked input), else 0 {@code [B, L]}
   */
  public record TokenLosses(double[] loss, double[] valid, int batch, int length) {

    /** Σ_l loss · valid of row b. */
    public double rowSum(int b) {
      double s = 0;
      for (int l = b * length; l < (b + 1) * length; l++) {
        if (valid[l] != 0) {
          s += loss[l] * valid[l];
        }
      }
      return s;
    }

    /** Number of valid tokens of row b. */
    public int rowCount(int b) {
      int n = 0;
      for (int l = b * length; l < (b + 1) * length; l++) {
        n += valid[l] != 0 ? 1 : 0;
      }
      return n;
    }
  }

  /**
   * Diffusion branch (Eso-LM B): z_t sorted by {@code orders}, causal attention over that order,
   * rotary phases of the original positions; one forward {@code [B, L]} with sigma = 0.
   *
   * @param x0 clean tokens {@code [B, L]}
   * @param zt network input {@code [B, L]} (original frame)
   * @param orders per row, {@code orders[b][j]} = original position at sorted index j
   * @throws UnsupportedOperationException when the denoiser takes no attention layout
   */
  public static TokenLosses diffusion(
      Denoiser denoiser, int[] x0, int[] zt, int[][] orders, int batch, int length, int mask) {
    int[] sorted = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < length; j++) {
        sorted[b * length + j] = zt[b * length + orders[b][j]];
      }
    }
    AttentionLayout layout = EsoLmLayouts.diffusion(orders);
    Logits logits = forward(denoiser, new TokenBatch(sorted, batch, length), layout);
    return collect(logits, x0, sorted, orders, batch, length, mask);
  }

  /**
   * Sequential branch: the two-stream input [z_0 sorted ; x0 sorted] of length 2L with the layout
   * of {@link EsoLmLayouts#sequential}; only the first L (z half) outputs are scored, with target
   * x0 at the masked positions of z_0 (teacher-forced AR over the masked set, left to right).
   *
   * @param z0 z_0 ~ q_{alpha_0}(. | x0) {@code [B, L]} (original frame)
   * @param orders sequential orders (clean random, masked ascending)
   */
  public static TokenLosses sequential(
      Denoiser denoiser, int[] x0, int[] z0, int[][] orders, int batch, int length, int mask) {
    int n = 2 * length;
    int[] input = new int[batch * n];
    int[] zSorted = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < length; j++) {
        int o = b * length + orders[b][j];
        input[b * n + j] = z0[o];
        input[b * n + length + j] = x0[o];
        zSorted[b * length + j] = z0[o];
      }
    }
    AttentionLayout layout = EsoLmLayouts.sequential(orders);
    Logits logits = forward(denoiser, new TokenBatch(input, batch, n), layout);
    float[] firstHalf = new float[batch * length * logits.vocab()];
    int rowWidth = length * logits.vocab();
    for (int b = 0; b < batch; b++) {
      System.arraycopy(logits.values(), logits.offset(b, 0), firstHalf, b * rowWidth, rowWidth);
    }
    Logits z = new Logits(firstHalf, batch, length, logits.vocab());
    return collect(z, x0, zSorted, orders, batch, length, mask);
  }

  /** Losses and validity in the sorted frame, then scattered back with the same order. */
  private static TokenLosses collect(
      Logits logits, int[] x0, int[] sorted, int[][] orders, int batch, int length, int mask) {
    double[] loss = new double[batch * length];
    double[] valid = new double[batch * length];
    for (int b = 0; b < batch; b++) {
      double[] ls = new double[length];
      double[] vs = new double[length];
      for (int j = 0; j < length; j++) {
        int target = x0[b * length + orders[b][j]];
        ls[j] =
            -MaskedSoftmax.logProb(
                logits.values(), logits.offset(b, j), logits.vocab(), mask, target);
        vs[j] = sorted[b * length + j] == mask ? 1 : 0;
      }
      System.arraycopy(Orders.scatter(ls, orders[b]), 0, loss, b * length, length);
      System.arraycopy(Orders.scatter(vs, orders[b]), 0, valid, b * length, length);
    }
    return new TokenLosses(loss, valid, batch, length);
  }

  private static Logits forward(Denoiser denoiser, TokenBatch tokens, AttentionLayout layout) {
    return denoiser.forward(tokens, null, layout).requireShape(tokens.batch(), tokens.length());
  }
}
