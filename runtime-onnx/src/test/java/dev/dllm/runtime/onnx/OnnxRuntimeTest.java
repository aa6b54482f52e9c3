package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX-only runtime on a class path without DJL, over tiny exports written by the exporter
 * ({@code WriteRuntimeFixtures}) with float64 reference logits stored next to them.
 */
class OnnxRuntimeTest {

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(OnnxRuntimeTest.class.getResource("/fixtures/" + name + "/model.onnx").toURI())
        .getParent();
  }

  @Test
  void runsAndSamplesWithoutDjlOnTheClassPath() throws Exception {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("ai.djl.ndarray.NDArray"));
    try (OnnxModel m = OnnxModel.open(fixture("mdlm-tiny"), OrtConfig.defaults())) {
      assertEquals("mdlm", m.family().name());
      int length = m.metadata().seqLen();
      SampleBatch s =
          m.family()
              .newSampler(new SamplerSpec(8, 1.0, Map.of()))
              .sample(m.denoiser(), 3, length, m.metadata().specials(), new Rng(7));
      assertEquals(3 * length, s.tokens().ids().length);
      for (int id : s.tokens().ids()) {
        assertTrue(
            id >= 0 && id < m.denoiser().vocabSize() && id != m.metadata().specials().mask());
      }
      assertTrue(s.nfe() >= 1 && s.nfe() <= 9, "nfe " + s.nfe());
      assertTrue(m.tokenizer().decode(s.tokens().ids()).length() > 0);
    }
  }

  @Test
  void arSamplingWithKvCacheEqualsSamplingWithout() throws Exception {
    try (OnnxModel m = OnnxModel.open(fixture("ar-tiny"), OrtConfig.defaults().withThreads(1))) {
      assertTrue(m.denoiser().hasDecodeGraph());
      int length = m.metadata().seqLen();
      SampleBatch cached =
          m.family()
              .newSampler(new SamplerSpec(1, 1.0, Map.of("kv_cache", "true")))
              .sample(m.denoiser(), 2, length, m.metadata().specials(), new Rng(3));
      SampleBatch plain =
          m.family()
              .newSampler(new SamplerSpec(1, 1.0, Map.of("kv_cache", "false")))
              .sample(m.denoiser(), 2, length, m.metadata().specials(), new Rng(3));
      assertEquals(length - 1, cached.nfe());
      assertArrayEquals(plain.tokens().ids(), cached.tokens().ids());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm-tiny", "ar-tiny"})
  void int32IdsAreConvertedAndLogitsMatchTheReference(String name) throws Exception {
    JsonNode want = new ObjectMapper().readTree(fixture(name).resolve("expected.json").toFile());
    int[] ids = new ObjectMapper().convertValue(want.get("tokens"), int[].class);
    float[] sigma = new ObjectMapper().convertValue(want.get("sigma"), float[].class);
    float[] logits = new ObjectMapper().convertValue(want.get("logits"), float[].class);
    try (OnnxModel m = OnnxModel.open(fixture(name), OrtConfig.defaults())) {
      OnnxDenoiser d = m.denoiser();
      for (int repeat = 0; repeat < 2; repeat++) {
        Logits got = d.forward(new TokenBatch(ids, 1, ids.length), sigma);
        double worst = 0;
        for (int i = 0; i < logits.length; i++) {
          worst = Math.max(worst, Math.abs(got.values()[i] - logits[i]));
        }
        assertTrue(worst <= 1e-4, name + " max abs diff " + worst);
        // another shape in between: buffers are re-made, then the first shape works again
        d.forward(new TokenBatch(new int[] {ids[0], ids[1], ids[2], ids[3]}, 2, 2), null);
      }
    }
  }

  @Test
  void badIdsAndMissingFilesAreInputErrors() throws Exception {
    try (OnnxModel m = OnnxModel.open(fixture("mdlm-tiny"), OrtConfig.defaults())) {
      int v = m.denoiser().vocabSize();
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> m.denoiser().forward(new TokenBatch(new int[] {0, v}, 1, 2), null));
      assertTrue(e.getMessage().contains(Integer.toString(v)), e.getMessage());
    }
    Path none = fixture("mdlm-tiny").resolve("no-such-dir");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> OnnxModel.open(none, OrtConfig.defaults()));
    assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> OrtConfig.defaults().withProvider("tpu"));
  }

  @Test
  void cudaRequestFallsBackToCpuWithoutAGpu() throws Exception {
    try (OnnxModel m =
        OnnxModel.open(fixture("mdlm-tiny"), OrtConfig.defaults().withProvider("cuda"))) {
      // the CPU jar has no CUDA provider; the GPU jar on a GPU machine really gets CUDA
      assertTrue(m.provider().equals("cpu") || m.provider().equals("cuda"));
      Logits l = m.denoiser().forward(new TokenBatch(new int[] {1, 2, 3}, 1, 3), null);
      assertEquals(3 * m.denoiser().vocabSize(), l.values().length);
    }
  }
}
