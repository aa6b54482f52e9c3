package dev.dllm.api;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;

/** A family registered only through src/test/resources/META-INF/services. */
public final class TestOnlyFamily implements DiffusionFamily {
  @Override
  public String name() {
    return "test-only";
  }

  @Override
  public String description() {
    return "registered by a test-scope service file";
  }

  @Override
  public BackboneSpec backbone() {
    return new BackboneSpec(BackboneSpec.Attention.BIDIRECTIONAL, false);
  }

  @Override
  public NoiseSchedule schedule() {
    return new LogLinearSchedule();
  }

  @Override
  public int[] corrupt(
      int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
    return x0.clone();
  }

  @Override
  public NllSum nelbo(
      Denoiser denoiser,
      int[] x0,
      int batch,
      int length,
      double[] t,
      SpecialTokens specials,
      Rng rng) {
    return new NllSum(0, (long) batch * length);
  }

  @Override
  public Sampler newSampler(SamplerSpec spec) {
    throw new UnsupportedOperationException();
  }
}
