package dev.dllm.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared forward-process plumbing and the SPI's default export metadata. */
class CorruptionTest {
  /** alpha_t = 1 − t exactly, so a token moves iff its uniform is &lt; t. */
  static final NoiseSchedule LINEAR =
      new NoiseSchedule() {
        @Override
        public String name() {
          return "linear";
        }

        @Override
        public double alpha(double t) {
          return 1 - t;
        }

        @Override
        public double alphaDerivative(double t) {
          return -1;
        }

        @Override
        public double sigma(double t) {
          return -Math.log(1 - t);
        }

        @Override
        public double elboWeight(double t) {
          return 1 / t;
        }
      };

  @Test
  void absorbingMasksWithProbabilityOneMinusAlphaInRowMajorDrawOrder() {
    int length = 64;
    int[] x0 = new int[3 * length];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = 1 + i % 5;
    }
    double[] t = {0, 1, 0.5};
    int[] zt = Corruption.absorbing(x0, 3, length, t, LINEAR, 9, new Rng(4));
    Rng draws = new Rng(4);
    int masked = 0;
    for (int i = 0; i < x0.length; i++) {
      double u = draws.uniform();
      int expected = u < t[i / length] ? 9 : x0[i];
      assertEquals(expected, zt[i], "position " + i);
      masked += i / length == 2 && zt[i] == 9 ? 1 : 0;
    }
    assertTrue(masked > 0 && masked < length, "row t = 0.5 masks some: " + masked);
    assertEquals(1, x0[0], "x0 is not modified");
  }

  @Test
  void shapeChecksNameTheExpectedShape() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Corruption.checkShapes(new int[5], 2, 3, new double[2]));
    assertEquals("x0 has 5 ids, expected [2, 3]", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Corruption.checkShapes(new int[6], 2, 3, new double[1]));
    assertEquals("need one time per row: [2]", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Corruption.checkShapes(new int[6], new int[4], 2, 3, new double[2]));
    assertEquals("z_t has 4 ids, x0 has 6", e.getMessage());
    InvalidInputException m =
        assertThrows(
            InvalidInputException.class,
            () -> Corruption.maskId(new SpecialTokens(0, 1, -1, -1), "some"));
    assertEquals("the some family needs a tokenizer with a mask id", m.getMessage());
    assertEquals(7, Corruption.maskId(new SpecialTokens(0, 1, -1, 7), "some"));
  }

  @Test
  void logitsShapeCheck() {
    Logits logits = new Logits(new float[2 * 3 * 4], 2, 3, 4);
    assertSame(logits, logits.requireShape(2, 3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> logits.requireShape(2, 4));
    assertEquals("denoiser returned logits [2, 3, V] for tokens [2, 4]", e.getMessage());
  }

  @Test
  void defaultExportMetadataNamesScheduleAndTimeConditioningOnlyWithASchedule() {
    assertEquals(
        Map.of("family", "test-only", "schedule", "log-linear", "time_conditioning", "false"),
        new TestOnlyFamily().exportMetadata());
    assertEquals(Map.of("family", "plain"), new Plain().exportMetadata());
  }

  /** A family without a schedule (as AR). */
  private static final class Plain implements DiffusionFamily {
    @Override
    public String name() {
      return "plain";
    }

    @Override
    public String description() {
      return "no schedule";
    }

    @Override
    public BackboneSpec backbone() {
      return new BackboneSpec(BackboneSpec.Attention.CAUSAL, false);
    }

    @Override
    public NoiseSchedule schedule() {
      return null;
    }

    @Override
    public int[] corrupt(
        int[] x0, int batch, int length, double[] t, SpecialTokens specials, Rng rng) {
      throw new UnsupportedOperationException();
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
      throw new UnsupportedOperationException();
    }

    @Override
    public Sampler newSampler(SamplerSpec spec) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void absorbingChecksShapesFirst() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Corruption.absorbing(new int[3], 1, 4, new double[1], LINEAR, 0, new Rng(1)));
    assertArrayEquals(
        new int[] {5, 5},
        Corruption.absorbing(new int[] {5, 5}, 1, 2, new double[] {0}, LINEAR, 0, new Rng(1)));
  }
}
