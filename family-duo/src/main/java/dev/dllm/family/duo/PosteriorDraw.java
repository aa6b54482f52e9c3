package dev.dllm.family.duo;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.TopP;

/**
 * The per-position draw of the Duo sampler (spec §3.1, §3.3; [SD] algo.py {@code
 * DUO_BASE._ancestral_update}): one exact draw from the posterior q(z_s | z_t, x_θ) ({@link
 * DuoMath#posterior}) as the mixture of {@link DuoMath#posteriorMasses}: one float64 uniform picks
 * the part (keep z_t, a uniform id, or a draw from x_θ by float64 Gumbel-max in ratio form, {@link
 * Categorical}), x_θ = softmax(logits) with logit[mask] = −1e6 in float64, optionally top-p
 * filtered. Without top-p the part can be decided from bounds on x_θ(z_t) ({@link XBounds}, {@link
 * #drawBounded}): the same part, hence the same draw. Also the greedy tail's argmax.
 */
final class PosteriorDraw {
  private PosteriorDraw() {}

  /**
   * One exact draw from q(z_s | z_t, x_θ) for one logits row: the part of {@link
   * DuoMath#posteriorMasses} by one float64 uniform, then the token (z_t itself, a uniform id, or a
   * Gumbel-max draw from x_θ).
   *
   * @param logits raw logits, the row at {@code offset .. offset + vocab}
   * @param topP nucleus mass applied to x_θ before the posterior (1 = off)
   * @param buffer scratch of length &gt;= vocab
   */
  static int draw(
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double alphaT,
      double alphaS,
      double topP,
      Rng rng,
      double[] buffer) {
    return draw(logits, offset, vocab, zt, mask, alphaT, alphaS, topP, 1, rng, buffer);
  }

  /**
   * {@link #draw} with x_θ = softmax(logits / temperature) (mask excluded, float64), then top-p.
   *
   * @param temperature &gt; 0; 1 gives exactly {@link #draw}
   */
  static int draw(
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double alphaT,
      double alphaS,
      double topP,
      double temperature,
      Rng rng,
      double[] buffer) {
    double xAtZt;
    if (temperature != 1) {
      BlockProposal.tempered(logits, offset, vocab, mask, temperature, buffer);
      if (topP < 1) {
        TopP.apply(buffer, 0, vocab, topP);
      }
      double sum = 0;
      for (int v = 0; v < vocab; v++) {
        sum += buffer[v];
      }
      xAtZt = buffer[zt] / sum;
    } else if (topP < 1) {
      MaskedSoftmax.softmax(logits, offset, vocab, mask, buffer);
      TopP.apply(buffer, 0, vocab, topP);
      xAtZt = buffer[zt];
    } else {
      xAtZt = probabilityOf(logits, offset, vocab, mask, zt);
    }
    double[] m = DuoMath.posteriorMasses(xAtZt, vocab, alphaT, alphaS);
    boolean fromBuffer = topP < 1 || temperature != 1;
    return token(
        PosteriorPart.of(rng.uniform(), m),
        logits,
        offset,
        vocab,
        zt,
        mask,
        fromBuffer,
        rng,
        buffer);
  }

  /**
   * x_θ(z_t) = exp(log-softmax at z_t), logit[mask] = −1e6, float64: the only part of the posterior
   * that reads all V logits and draws nothing.
   */
  static double probabilityOf(float[] logits, int offset, int vocab, int mask, int zt) {
    return Math.exp(MaskedSoftmax.logProb(logits, offset, vocab, mask, zt));
  }

  /**
   * {@link #draw} (top-p off) given lo &lt;= x_θ(z_t) &lt;= hi ({@link XBounds}): the part is taken
   * from the bounds where they settle it with a margin far above float64 rounding, else from the
   * exact x_θ(z_t); the same uniform is used either way, so the draw is the one {@link #draw}
   * makes.
   */
  static int drawBounded(
      double lo,
      double hi,
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      double alphaT,
      double alphaS,
      Rng rng,
      double[] buffer) {
    if (!XBounds.ok(lo)) {
      return draw(logits, offset, vocab, zt, mask, alphaT, alphaS, 1.0, rng, buffer);
    }
    double[] mLo = DuoMath.posteriorMasses(lo, vocab, alphaT, alphaS);
    double[] mHi = DuoMath.posteriorMasses(hi, vocab, alphaT, alphaS);
    double uniform = rng.uniform();
    int part = PosteriorPart.fromBounds(uniform, mLo, mHi);
    if (part < 0) {
      double[] m =
          DuoMath.posteriorMasses(
              probabilityOf(logits, offset, vocab, mask, zt), vocab, alphaT, alphaS);
      part = PosteriorPart.of(uniform, m);
    }
    return token(part, logits, offset, vocab, zt, mask, false, rng, buffer);
  }

  /**
   * The token of the chosen part: z_t, a uniform id, or a draw from x_θ: from the weights in {@code
   * buffer} (top-p filtered or tempered) when {@code fromBuffer}, else from the logits.
   */
  private static int token(
      int part,
      float[] logits,
      int offset,
      int vocab,
      int zt,
      int mask,
      boolean fromBuffer,
      Rng rng,
      double[] buffer) {
    if (part == PosteriorPart.KEEP) {
      return zt;
    }
    if (part == PosteriorPart.UNIFORM) {
      return rng.nextInt(vocab);
    }
    return fromBuffer
        ? Categorical.sample(buffer, 0, vocab, rng)
        : Categorical.sampleLogits(logits, offset, vocab, mask, rng, buffer);
  }

  /** argmax_v x_θ(v) at (b, l), the mask id excluded (first on ties). */
  static int argmax(Logits logits, int b, int l, int mask) {
    int offset = logits.offset(b, l);
    float[] z = logits.values();
    int best = -1;
    for (int v = 0; v < logits.vocab(); v++) {
      if (v != mask && (best < 0 || z[offset + v] > z[offset + best])) {
        best = v;
      }
    }
    return best;
  }
}
