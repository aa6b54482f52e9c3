package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
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
    if (length < 2) {
      return new NllSum(0, 0);
    }
    Logits logits =
        denoiser.forward(new TokenBatch(x0, batch, length), null).requireShape(batch, length);
    int vocab = logits.vocab();
    int mask = specials.mask();
    double nll = 0;
    for (int b = 0; b < batch; b++) {
      for (int l = 0; l < length - 1; l++) {
        int target = x0[b * length + l + 1];
        nll -= MaskedSoftmax.logProb(logits.values(), logits.offset(b, l), vocab, mask, target);
      }
    }
    return new NllSum(nll, (long) batch * (length - 1));
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
   * An ancestral sampler from BOS (spec §5). Options: {@code kv_cache=true|false} (default true:
   * use {@link Denoiser#kvCacheDecoder} when the denoiser offers one). {@link SamplerSpec#steps()}
   * is ignored (always L - 1 draws); {@link SamplerSpec#topP()} applies nucleus filtering in
   * float64.
   *
   * @throws dev.dllm.api.InvalidInputException for an unknown option or a bad value
   */
  @Override
  public Sampler newSampler(SamplerSpec spec) {
    return ArSampler.of(spec);
  }
}
