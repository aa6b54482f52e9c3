package dev.dllm.family.duo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.family.duo.GaussianDuality;
import dev.dllm.family.duo.distill.CoupledLatent;
import dev.dllm.family.duo.distill.DcdMath;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The {@code dcd} objective (spec §9.1) against an independent recomputation: the coupled pair from
 * {@link CoupledLatent} with the same Rng, sigma from the quadrature of {@link GaussianDuality},
 * and the float64 {@link DcdMath} KL on the same logits.
 */
class DcdObjectiveTest {
  static final int B = 3;
  static final int L = 7;
  static final int V = 11;
  static final int MASK = 4;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  final Random r = new Random(5);
  final float[] student = logits(r);
  final float[] teacher = logits(r);
  final int[] x0 = new int[B * L];
  final double[] t = {0.02, 0.4, 0.93};

  DcdObjectiveTest() {
    for (int i = 0; i < x0.length; i++) {
      int v = r.nextInt(V - 1);
      x0[i] = v >= MASK ? v + 1 : v;
    }
  }

  static float[] logits(Random r) {
    float[] v = new float[B * L * V];
    for (int i = 0; i < v.length; i++) {
      // multiples of 2^-10: the finite-difference steps below are exact in float32
      v[i] = Math.round(2 * r.nextGaussian() * 1024) / 1024f;
    }
    return v;
  }

  static DuoObjective dcd(long stepsPerRound, int grid) {
    return new DuoObjective()
        .configure(Map.of("steps_per_round", "" + stepsPerRound, "dcd_steps", "" + grid));
  }

  static double meanKl(float[] s, float[] q) {
    double sum = 0;
    for (int i = 0; i < B * L; i++) {
      sum += DcdMath.kl(s, i * V, q, i * V, V, MASK);
    }
    return sum / (B * L);
  }

  /**
   * Step 5 with rounds of 2 steps is round 2: dt = 4/8 with T = 8, so t ← min(t + 0.5, 1), s = t −
   * 0.5 and γ on [−4, −1]; the student gets z_t at −log alpha_t, the teacher z_s at −log alpha_s.
   */
  @Test
  void lossEqualsFloat64KlOnTheCoupledPair() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      FakeBackbone teacherNet = new FakeBackbone(m, teacher, V);
      FakeBackbone net = new FakeBackbone(m, student, V, teacherNet);
      TrainingBatch batch = new TrainingBatch(x0, B, L, t, SPECIALS, new Rng(9), 5, 10);
      float loss = dcd(2, 8).loss(batch, net, "dcd").getFloat();
      double expected = meanKl(student, teacher);
      assertTrue(expected > 0.1, "distinct logits: " + expected);
      assertEquals(expected, loss, 1e-5 * expected);

      Rng rng = new Rng(9);
      GaussianDuality duality = GaussianDuality.of(V);
      int corrupted = 0;
      int split = 0;
      for (int b = 0; b < B; b++) {
        double tt = Math.min(t[b] + 0.5, 1);
        double ss = tt - 0.5;
        double gt = -4 + 3 * tt;
        double gs = -4 + 3 * ss;
        assertEquals(-Math.log(duality.alpha(gt)), net.fedSigma[b], 1e-5, "sigma_t row " + b);
        assertEquals(
            -Math.log(duality.alpha(gs)), teacherNet.fedSigma[b], 1e-5, "sigma_s row " + b);
        for (int l = 0; l < L; l++) {
          int i = b * L + l;
          int[] z = CoupledLatent.sample(x0[i], V, gt, gs, rng);
          assertEquals(z[0], net.fedIds[i], "z_t at " + i);
          assertEquals(z[1], teacherNet.fedIds[i], "z_s at " + i);
          corrupted += z[0] != x0[i] ? 1 : 0;
          split += z[0] != z[1] ? 1 : 0;
        }
      }
      assertTrue(corrupted > 0 && split > 0, "noisy and diverging pairs occur");
    }
  }

  /** dt doubles with each teacher round: steps 0, 2, 4 of 2-step rounds, T = 16. */
  @Test
  void dtDoublesPerRound() {
    double[] u = {0.1, 0.1, 0.1};
    for (int round = 0; round < 3; round++) {
      try (NDManager m = NDManager.newBaseManager("PyTorch")) {
        FakeBackbone teacherNet = new FakeBackbone(m, teacher, V);
        FakeBackbone net = new FakeBackbone(m, student, V, teacherNet);
        new DuoObjective()
            .configure(Map.of("steps_per_round", "2", "dcd_steps", "16"))
            .loss(new TrainingBatch(x0, B, L, u, SPECIALS, new Rng(1), 2L * round, 9), net, "dcd");
        double dt = (1 << round) / 16.0;
        GaussianDuality d = GaussianDuality.of(V);
        assertEquals(-Math.log(d.alpha(-4 + 3 * (0.1 + dt))), net.fedSigma[0], 1e-5);
        assertEquals(-Math.log(d.alpha(-4 + 3 * 0.1)), teacherNet.fedSigma[0], 1e-5);
      }
    }
  }

  /** d loss / d student logit against a central difference of the float64 mean KL. */
  @Test
  void gradientMatchesFiniteDifferencesOfTheFloat64Kl() {
    float[] grad;
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray s = m.create(student, new Shape(B, L, V));
      s.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray q = m.create(teacher, new Shape(B, L, V));
        NDArray loss =
            DcdLoss.klBwd(
                s.add(m.create(0f)),
                q,
                MASK,
                DuoLoss.Constants.of(m)); // a graph node: klBwd closes its input
        gc.backward(loss);
      }
      grad = s.getGradient().toFloatArray();
    }
    FiniteDifferences.assertGradientMatches(student, grad, 5, V, MASK, s -> meanKl(s, teacher));
  }

  /** KL(p ‖ p) = 0 in float32 for identical logits. */
  @Test
  void zeroForIdenticalLogits() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray a = m.create(student, new Shape(B, L, V));
      float loss = DcdLoss.klBwd(a, a.duplicate(), MASK, DuoLoss.Constants.of(m)).getFloat();
      assertEquals(0f, loss, 1e-6f);
    }
  }

  @Test
  void refusesARunWithoutTeacher() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      TrainingBatch batch = new TrainingBatch(x0, B, L, t, SPECIALS, new Rng(9), 0, 10);
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> new DuoObjective().loss(batch, new FakeBackbone(m, student, V), "dcd"));
      assertTrue(e.getMessage().contains("teacher"), e.getMessage());
      assertThrows(
          InvalidInputException.class,
          () -> dcd(2, 8).loss(batch, new FakeBackbone(m, student, V), "dcd"),
          "rounds configured but the backbone has no teacher");
    }
  }

  @Test
  void refusesABadGrid() {
    for (String bad : new String[] {"0", "-3", "x", "1.5"}) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> new DuoObjective().configure(Map.of("dcd_steps", bad)));
      assertTrue(e.getMessage().contains("dcd_steps"), e.getMessage());
    }
    assertEquals(java.util.Set.of("dcd_steps"), new DuoObjective().trainingOptions());
  }
}
