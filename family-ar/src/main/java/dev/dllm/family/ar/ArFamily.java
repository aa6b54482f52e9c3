package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/**
 * The autoregressive baseline ({@code ar}, spec §5; [SD] algo.py {@code AR}): a causal DiT without
 * time conditioning trained with next-token cross entropy over the L - 1 targets of each block.
 * There is no noise schedule and no forward process.
 *
 * <p>Conditioning (issue 16, spec §11.1): AR continues a prompt prefix only ({@link ArSampler}
 * prefills it through the KV cache in one forward; a given position after a free one is refused),
 * and {@link #conditionalNelbo} is the exact NLL of the continuation given the prefix.
 */
public final class ArFamily implements DiffusionFamily {

  @Override
  public String name() {
    return "ar";
  }

  @Override
  public String description() {
    return "autoregressive baseline: causal DiT, next-token CE, KV-cache ancestral sampling";
  }

  @Override
  public BackboneSpec backbone() {
    return new BackboneSpec(BackboneSpec.Attention.CAUSAL, false);
  }

  /** AR has no schedule: always {@code null}. */
  @Override
  public NoiseSchedule schedule() {
    return null;
  }

  /**
   * Always throws: AR has no forward corruption.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public int[] corrupt(
      int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
    throw new UnsupportedOperationException("the ar family has no forward corruption process");
  }

  /**
   * Exact NLL of the batch in float64 (spec §5, §6.1): the full rows {@code x0 [B, L]} go through
   * the causal denoiser once (sigma = 0); position l predicts token l + 1, for l = 0 .. L - 2, with
   * logit[mask] = -1e6 before the log-softmax. {@code t} and {@code rng} are ignored.
   *
   * @return summed NLL in nats over B·(L - 1) tokens
   * @throws IllegalArgumentException when the denoiser's logits do not have shape [B, L, V]
   */
  @Override
  public NllSum nelbo(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng) {
    return nll(denoiser, x0, null, batch, length, specials);
  }

  /**
   * Exact NLL of the continuation given the prompt, in float64 (spec §5, §6.1, §11.2 "AR: cross
   * entropy on response tokens only"): with P_b the given prefix of row b, NLL = −Σ_b Σ_{l = max(1,
   * P_b)}^{L − 1} log p(x_l | x_&lt;l), each term the log-softmax of the causal logits at l - 1
   * with logit[mask] = -1e6, from one forward over the full rows {@code x0 [B, L]} (sigma = 0).
   * Given positions are conditioned on and never scored; position 0 is never scored (nothing
   * predicts it). With nothing given this is {@link #nelbo} term by term (the same numbers). {@code
   * t} and {@code rows} are ignored: the NLL draws no noise.
   *
   * @param given {@code [B, L]}, true at prompt positions; per row a prefix
   * @return summed NLL in nats; {@link NllSum#tokens()} = the scored (free, l ≥ 1) positions
   * @throws dev.dllm.api.InvalidInputException when a given position follows a free one (AR
   *     conditions on a prefix only; the message names the row and position)
   * @throws IllegalArgumentException when {@code given} is not {@code [B, L]} or the logits do not
   *     have shape [B, L, V]
   */
  @Override
  public NllSum conditionalNelbo(
      Denoiser denoiser,
      int[] x0,
      boolean[] given,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    if (given.length != x0.length || x0.length != (long) batch * length) {
      throw new IllegalArgumentException(
          "conditional NLL needs tokens and mask ["
              + batch
              + ", "
              + length
              + "], got "
              + x0.length
              + " tokens and "
              + given.length
              + " flags");
    }
    Conditioning.fromMask(x0, given, batch, length).requirePrefixOnly(name());
    return nll(denoiser, x0, given, batch, length, specials);
  }

  /** -Σ log p(x_l | x_&lt;l) over l ≥ 1 not given (all l ≥ 1 when {@code given} is null). */
  private static NllSum nll(
      Denoiser denoiser, int[] x0, boolean[] given, int batch, int length, SpecialTokens specials) {
    if (length < 2) {
      return new NllSum(0, 0);
    }
    Logits logits =
        denoiser.forward(new TokenBatch(x0, batch, length), null).requireShape(batch, length);
    int vocab = logits.vocab();
    int mask = specials.mask();
    double nll = 0;
    long tokens = 0;
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length - 1; l++) {
        int at = b * length + l + 1;
        if (given != null && given[at]) {
          continue;
        }
        nll -= MaskedSoftmax.logProb(logits.values(), logits.offset(b, l), vocab, mask, x0[at]);
        tokens++;
      }
    }
    return new NllSum(nll, tokens);
  }

  /**
   * The exact NLL draws no noise, so this is {@link #nelbo} of the whole batch (one forward).
   *
   * @return summed NLL in nats over B·(L - 1) tokens
   */
  @Override
  public NllSum nelboPerRow(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng[] rows) {
    return nelbo(denoiser, x0, batch, length, t, specials, null);
  }

  /**
   * An ancestral sampler from BOS or from a prompt prefix (spec §5, §11.1; {@link ArSampler}).
   * Options: {@code kv_cache=true|false} (default true: use {@link Denoiser#kvCacheDecoder} when
   * the denoiser offers one). {@link SamplerSpec#steps()} is ignored (L - 1 draws unconditionally,
   * one per free position after a prompt); {@link SamplerSpec#topP()} applies nucleus filtering in
   * float64; {@link SamplerSpec#stopAtEos()} stops once every row has generated EOS.
   *
   * @throws dev.dllm.api.InvalidInputException for an unknown option or a bad value
   */
  @Override
  public Sampler newSampler(SamplerSpec spec) {
    return ArSampler.of(spec);
  }
}
