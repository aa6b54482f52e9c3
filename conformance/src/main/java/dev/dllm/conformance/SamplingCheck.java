package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;

/**
 * Check 4 of {@link FamilyConformanceTestCase#samplesHaveNoMaskAndDoNotDependOnThreads}: samples
 * over the ONNX denoiser hold no MASK and are identical at 1 and 2 ONNX Runtime threads.
 */
final class SamplingCheck {
  private final Fixture f;
  private final DiffusionFamily family;
  private final SamplerSpec spec;

  SamplingCheck(Fixture f, DiffusionFamily family, SamplerSpec spec) {
    this.f = f;
    this.family = family;
    this.spec = spec;
  }

  /** Samples hold no MASK and are identical at 1 and 2 ONNX Runtime threads. */
  void run() {
    SampleBatch one = sample(1);
    SampleBatch two = sample(2);
    int b = f.tiny.batch();
    int l = f.tiny.length();
    int mask = f.tokenizer.specials().mask();
    assertEquals(b, one.tokens().batch());
    assertEquals(l, one.tokens().length());
    for (int id : one.tokens().ids()) {
      assertTrue(id >= 0 && id < f.config.vocabSize(), "sampled id " + id + " is outside [0, V)");
      assertNotEquals(mask, id, "a sample contains the MASK id");
    }
    assertTrue(one.nfe() > 0, "NFE must be positive, got " + one.nfe());
    assertArrayEquals(
        one.tokens().ids(), two.tokens().ids(), "samples differ between 1 and 2 threads");
    assertEquals(one.nfe(), two.nfe());
  }

  private SampleBatch sample(int threads) {
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults().withThreads(threads))) {
      return family
          .newSampler(spec)
          .sample(
              m.denoiser(), f.tiny.batch(), f.tiny.length(), m.metadata().specials(), new Rng(42));
    }
  }
}
