package dev.dllm.family.mdlm;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.MaskedSoftmax;

/**
 * The SUBS parameterisation of MDLM in float64 (spec §2.1; MDLM paper, {@code
 * _subs_parameterization} in [MDLM] diffusion.py): (1) the mask logit is set to -1e6, so p(mask) =
 * 0; (2) log-softmax; (3) carry-over: at a position whose input token z_t is not the mask, the
 * output is the one-hot of z_t (log-prob 0 at z_t, {@link #CARRY_OVER_LOG_PROB} elsewhere), so
 * unmasked positions contribute exactly 0 to the NELBO.
 */
public final class Subs {

  /** Log-probability given to tokens other than z_t at an unmasked position. */
  public static final double CARRY_OVER_LOG_PROB = -1e6;

  private Subs() {}

  /**
   * log p_theta(x0 | z_t) at row b, position l.
   *
   * @param logits raw network outputs {@code [B, L, V]}
   * @param zt the token of z_t at (b, l)
   * @param x0 the target token at (b, l)
   * @param mask the mask id
   * @return log-probability in nats; exactly 0 when z_t = x0 is unmasked
   */
  public static double logProb(Logits logits, int b, int l, int zt, int x0, int mask) {
    if (zt != mask) {
      return zt == x0 ? 0 : CARRY_OVER_LOG_PROB;
    }
    return MaskedSoftmax.logProb(logits.values(), logits.offset(b, l), logits.vocab(), mask, x0);
  }

  /**
   * p_theta(. | z_t) at row b, position l, {@code [V]}.
   *
   * @param out buffer of length V
   * @return {@code out}: a one-hot of z_t when it is unmasked, else the mask-suppressed softmax
   */
  public static double[] probabilities(
      Logits logits, int b, int l, int zt, int mask, double[] out) {
    if (zt != mask) {
      java.util.Arrays.fill(out, 0, logits.vocab(), 0.0);
      out[zt] = 1;
      return out;
    }
    return MaskedSoftmax.softmax(logits.values(), logits.offset(b, l), logits.vocab(), mask, out);
  }
}
