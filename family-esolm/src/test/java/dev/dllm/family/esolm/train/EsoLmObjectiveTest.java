package dev.dllm.family.esolm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.esolm.EsoLmFamily;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The objective through the training seam: a {@link Backbone} whose forward is the float64
 * reference DiT (reading back the ids, positions and additive bias the objective builds) must give
 * the float64 batch-split estimator {@link EsoLmFamily#splitLoss} on the same Rng.
 */
class EsoLmObjectiveTest {
  static final int V = EsoLmLossConformanceTest.V;
  static final int MASK = EsoLmLossConformanceTest.MASK;

  /** A seam backed by the reference forward (no gradients; tests the wiring and the math). */
  static final class ReferenceBackbone implements Backbone<NDArray> {
    final NDManager m;
    final ReferenceDit ref;
    int forwards;

    ReferenceBackbone(NDManager m, ReferenceDit ref) {
      this.m = m;
      this.ref = ref;
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public NDArray ids(int[] ids, int batch, int length) {
      long[] l = new long[ids.length];
      for (int i = 0; i < l.length; i++) {
        l[i] = ids[i];
      }
      return m.create(l, new Shape(batch, length));
    }

    @Override
    public NDArray floats(float[] values, long... shape) {
      return m.create(values, new Shape(shape));
    }

    @Override
    public NDArray constant(double value) {
      return m.create((float) value);
    }

    @Override
    public NDArray forward(NDArray ids, NDArray sigma) {
      throw new AssertionError("Eso-LM must pass positions and a mask");
    }

    @Override
    public NDArray forward(NDArray ids, NDArray sigma, NDArray positions, NDArray attnBias) {
      forwards++;
      int rows = (int) ids.getShape().get(0);
      int len = (int) ids.getShape().get(1);
      // the shared pattern is broadcast over the rows
      assertEquals(new Shape(1, 1, len, len), attnBias.getShape());
      int[] tok = toInts(ids.toLongArray());
      int[] pos = toInts(positions.toLongArray());
      float[] bias = attnBias.toFloatArray();
      boolean[] allowed = new boolean[rows * bias.length];
      for (int i = 0; i < allowed.length; i++) {
        allowed[i] = bias[i % bias.length] == 0f;
      }
      double[] out = ref.forward64(new TokenBatch(tok, rows, len), new double[rows], pos, allowed);
      float[] f = new float[out.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) out[i];
      }
      return m.create(f, new Shape(rows, len, V));
    }

    @Override
    public NDArray forwardSoft(NDArray weights, NDArray sigma) {
      throw new AssertionError();
    }

    private static int[] toInts(long[] l) {
      int[] out = new int[l.length];
      for (int i = 0; i < l.length; i++) {
        out[i] = (int) l[i];
      }
      return out;
    }
  }

  @Test
  void seamLossEqualsFloat64SplitLoss() {
    ReferenceDit ref = EsoLmLossConformanceTest.dit(4);
    int batch = 4;
    int len = 6;
    SplittableRandom r = new SplittableRandom(8);
    int[] x0 = new int[batch * len];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = r.nextInt(MASK);
    }
    double[] t = {0.2, 0.45, 0.7, 0.9};
    for (double alpha0 : new double[] {1.0, 0.5, 0.0}) {
      for (String objective : new String[] {"elbo", "low_var"}) {
        EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
        EsoLmObjective obj = new EsoLmObjective().configure(family.exportMetadata());
        assertEquals(alpha0, obj.esoLmFamily().alpha0());
        double want =
            family
                .splitLoss(
                    ref,
                    x0,
                    batch,
                    len,
                    t,
                    EsoLmLossConformanceTest.SPECIALS,
                    new Rng(21),
                    objective.equals("low_var"))
                .value();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
          ReferenceBackbone net = new ReferenceBackbone(m, ref);
          TrainingBatch tb =
              new TrainingBatch(
                  x0, batch, len, t, EsoLmLossConformanceTest.SPECIALS, new Rng(21), 0, 1);
          float got = obj.loss(tb, net, objective).getFloat();
          assertTrue(want > 0);
          assertEquals(want, got, 1e-5 * want, "alpha_0 " + alpha0 + " " + objective);
          assertEquals(alpha0 > 0 && alpha0 < 1 ? 2 : 1, net.forwards);
        }
      }
    }
  }

  @Test
  void registeredAndRejectsUnknownObjectives() {
    boolean found = false;
    for (TrainingObjective<?> o : ServiceLoader.load(TrainingObjective.class)) {
      found |= o.family().equals("esolm") && o instanceof EsoLmObjective;
    }
    assertTrue(found);
    assertEquals("elbo", new EsoLmObjective().objectives().iterator().next());
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      TrainingBatch tb =
          new TrainingBatch(
              new int[4],
              1,
              4,
              new double[] {0.5},
              EsoLmLossConformanceTest.SPECIALS,
              new Rng(1),
              0,
              1);
      assertThrows(
          InvalidInputException.class,
          () ->
              new EsoLmObjective()
                  .loss(tb, new ReferenceBackbone(m, EsoLmLossConformanceTest.dit(1)), "mse"));
    }
    assertThrows(
        InvalidInputException.class,
        () -> new EsoLmObjective().configure(Map.of("batch_split", "1.5")));
  }
}
