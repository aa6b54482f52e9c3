package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The embeddable API (issue 11 §4): whole rows, NFE, decoding, thread safety, bad options. */
class DllmGeneratorTest {

  @Test
  void semiAutoregressiveRowsThroughTheApi() throws Exception {
    try (DllmGenerator g = DllmGenerator.open(OnnxRuntimeTest.fixture("mdlm-tiny"))) {
      int l = g.model().metadata().seqLen();
      int t = 4;
      List<Generated> out =
          g.generate(
              GenerateOptions.defaults()
                  .withNumber(3)
                  .withBatch(2)
                  .withSteps(t)
                  .withSeed(11)
                  .withOption("predictor", "ancestral")
                  .withOption("strides", "2")
                  .withOption("stride_length", "5"));
      assertEquals(3, out.size());
      for (int i = 0; i < 3; i++) {
        Generated s = out.get(i);
        assertEquals(i, s.index());
        assertEquals(l + 2 * 5, s.ids().length);
        assertEquals(g.tokenizer().decode(s.ids()), s.text());
        assertEquals(3 * (t + 1), s.nfe());
        assertEquals(t, s.steps());
        assertEquals(i < 2 ? 2 : 1, s.batchSize());
        assertTrue(s.seconds() > 0);
      }
    }
  }

  @Test
  void concurrentGenerateCallsEqualSerialOnes() throws Exception {
    try (DllmGenerator g =
        DllmGenerator.open(
            OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults().withThreads(1))) {
      int calls = 6;
      List<List<Generated>> serial = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        serial.add(g.generate(options(i)));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<List<Generated>>> futures = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
          int seed = i;
          futures.add(pool.submit(() -> g.generate(options(seed))));
        }
        for (int i = 0; i < calls; i++) {
          List<Generated> got = futures.get(i).get();
          for (int k = 0; k < got.size(); k++) {
            assertArrayEquals(serial.get(i).get(k).ids(), got.get(k).ids());
            assertEquals(serial.get(i).get(k).nfe(), got.get(k).nfe());
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  static GenerateOptions options(int seed) {
    return GenerateOptions.defaults()
        .withNumber(2 + seed % 2)
        .withBatch(1 + seed % 2)
        .withSteps(5)
        .withSeed(seed);
  }

  @Test
  void badOptionsAreInputErrors() throws Exception {
    assertThrows(InvalidInputException.class, () -> GenerateOptions.defaults().withNumber(0));
    assertThrows(InvalidInputException.class, () -> GenerateOptions.defaults().withTopP(1.5));
    assertThrows(InvalidInputException.class, () -> GenerateOptions.defaults().withLength(1));
    try (DllmGenerator g = DllmGenerator.open(OnnxRuntimeTest.fixture("mdlm-tiny"))) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> g.generate(GenerateOptions.defaults().withOption("no_such_option", "1")));
      assertTrue(e.getMessage().contains("no_such_option"), e.getMessage());
      assertEquals("mdlm", g.family());
    }
  }
}
