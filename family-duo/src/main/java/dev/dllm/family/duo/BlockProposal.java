package dev.dllm.family.duo;

import dev.dllm.api.Logits;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.TopP;

/**
 * The proposal of one open position of {@link DuoBlockChain}: {@link ConfidenceDecoding#propose}
 * (argmax, or a draw from x_θ, top-p filtered) with, for {@code proposal=sample}, an optional
 * temperature τ_s: the draw is from softmax(z / τ_s) (mask id excluded, float64), then top-p
 * filtered and renormalised ({@link TopP}), the order of Fast-dLLM's sampler ({@code
 * NVlabs/Fast-dLLM llada/generate.py}: logits divided by the temperature before the draw). The
 * confidence is max_v x_θ(v) of the untempered x_θ in every case, so the temperature changes which
 * token a committed position takes, never which positions commit.
 */
final class BlockProposal {
  private BlockProposal() {}

  /**
   * Proposes a token for logits row {@code b}, position {@code l}.
   *
   * @param temperature τ_s &gt; 0; 1 gives exactly {@link ConfidenceDecoding#propose}
   * @param topP nucleus mass in (0, 1], 1 = off
   * @param buffer scratch of at least V doubles
   * @param confidence out: {@code confidence[0]} = max_v x_θ(v)
   * @return the proposed id (never the mask id)
   */
  static int propose(
      ConfidenceDecoding rule,
      double temperature,
      Logits logits,
      int b,
      int l,
      int mask,
      double topP,
      Rng rng,
      double[] buffer,
      double[] confidence) {
    if (rule.argmax() || temperature == 1) {
      return rule.propose(logits, b, l, mask, topP, rng, buffer, confidence);
    }
    int vocab = logits.vocab();
    int offset = logits.offset(b, l);
    float[] z = logits.values();
    int top = MaskedSoftmax.argmax(z, offset, vocab, mask);
    confidence[0] = Math.exp(MaskedSoftmax.logProb(z, offset, vocab, mask, top));
    tempered(z, offset, vocab, mask, temperature, buffer);
    if (topP < 1) {
      TopP.apply(buffer, 0, vocab, topP);
    }
    return Categorical.sample(buffer, 0, vocab, rng);
  }

  /**
   * buffer[v] = exp((z_v − max z) / temperature), 0 at the mask id: softmax(z / temperature)
   * unnormalised (float64).
   */
  static void tempered(
      float[] z, int offset, int vocab, int mask, double temperature, double[] buffer) {
    double max = Double.NEGATIVE_INFINITY;
    for (int u = 0; u < vocab; u++) {
      if (u != mask) {
        max = Math.max(max, z[offset + u]);
      }
    }
    for (int u = 0; u < vocab; u++) {
      buffer[u] = u == mask ? 0 : Math.exp(((double) z[offset + u] - max) / temperature);
    }
  }
}
