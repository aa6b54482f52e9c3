package dev.dllm.family.esolm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
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

  /**
   * SFT (issue 17): for a batch of one row with a prompt, the objective's batch stream and the
   * per-row stream of {@link EsoLmFamily#conditionalNelbo} coincide at alpha_0 = 1 (diffusion only)
   * and alpha_0 = 0 (sequential only), so the loss is exactly the conditional bound divided by the
   * free positions; the prompt is fed clean and first in the order.
   */
  @Test
  void sftLossOfOneRowEqualsConditionalNelboPerFreeToken() {
    ReferenceDit ref = EsoLmLossConformanceTest.dit(4);
    int len = 6;
    SplittableRandom r = new SplittableRandom(9);
    int[] x0 = new int[len];
    for (int i = 0; i < len; i++) {
      x0[i] = r.nextInt(MASK);
    }
    boolean[] given = {true, true, false, false, false, false};
    for (double alpha0 : new double[] {1.0, 0.0}) {
      EsoLmFamily family = new EsoLmFamily(alpha0, 0.5);
      EsoLmObjective obj = new EsoLmObjective().configure(family.exportMetadata());
      for (long seed = 1; seed <= 4; seed++) {
        double[] t = {0.3 + 0.15 * seed};
        NllSum want =
            family.conditionalNelbo(
                ref,
                x0,
                given,
                1,
                len,
                t,
                EsoLmLossConformanceTest.SPECIALS,
                new Rng[] {new Rng(seed)});
        assertEquals(4, want.tokens());
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
          ReferenceBackbone net = new ReferenceBackbone(m, ref);
          TrainingBatch tb =
              new TrainingBatch(
                  x0, 1, len, t, EsoLmLossConformanceTest.SPECIALS, new Rng(seed), 0, 1, given);
          float got = obj.loss(tb, net, "elbo").getFloat();
          double expected = want.nll() / want.tokens();
          assertEquals(
              expected, got, 1e-5 * Math.max(1, expected), "alpha_0 " + alpha0 + " seed " + seed);
        }
      }
    }
  }

  /** The SFT batch: prompt clean in z_t and z_0 and first (left to right) in every order. */
  @Test
  void sftBatchKeepsThePromptCleanAndFirst() {
    int batch = 4;
    int len = 6;
    int[] x0 = new int[batch * len];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < x0.length; i++) {
      x0[i] = r.nextInt(MASK);
    }
    boolean[] given = new boolean[batch * len];
    for (int b = 0; b < batch; b++) {
      java.util.Arrays.fill(given, b * len, b * len + 1 + b, true);
    }
    double[] t = {0.95, 0.95, 0.95, 0.95};
    EsoLmFamily family = new EsoLmFamily(0.5, 0.5);
    TrainingBatch tb =
        new TrainingBatch(
            x0, batch, len, t, EsoLmLossConformanceTest.SPECIALS, new Rng(5), 0, 1, given);
    dev.dllm.family.esolm.EsoLmBatch eb = EsoLmObjective.drawGiven(family, tb, false);
    assertEquals(2, eb.diffusionRows());
    for (int b = 0; b < batch; b++) {
      boolean diffusion = b < eb.diffusionRows();
      int[] z = diffusion ? eb.zt() : eb.z0();
      int row = diffusion ? b : b - eb.diffusionRows();
      int[] order = diffusion ? eb.diffusionOrders()[row] : eb.arOrders()[row];
      for (int l = 0; l <= b; l++) {
        assertEquals(x0[b * len + l], z[row * len + l], "row " + b + " position " + l);
        assertEquals(l, order[l], "row " + b + ": the prompt comes first, left to right");
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
