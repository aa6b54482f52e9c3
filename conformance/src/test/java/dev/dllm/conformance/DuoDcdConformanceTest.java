package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.duo.GaussianDuality;
import dev.dllm.family.duo.distill.CoupledLatent;
import dev.dllm.family.duo.distill.DcdMath;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitInit;
import dev.dllm.trainer.model.DitModel;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Duo's {@code dcd} objective (Discrete Consistency Distillation, spec §9.1) through the trainer's
 * {@link DjlBackbone} on a tiny random {@link DitModel} and its frozen teacher, against the float64
 * {@link DcdMath} KL over the independent float64 {@link ReferenceDit} on the same weights, with
 * the coupled tokens and times recomputed from {@link CoupledLatent} and the Gaussian duality.
 */
class DuoDcdConformanceTest {
  static final int B = 2;
  static final int L = 8;
  static final int V = 12;
  static final int MASK = 3;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, 2, MASK);
  static final DitConfig CONFIG = new DitConfig(V, 32, 1, 2, 16, Attention.BIDIRECTIONAL, 0.0);

  final DitWeights studentWeights = DitInit.random(CONFIG, 11, 0.3);
  final DitWeights teacherWeights = DitInit.random(CONFIG, 12, 0.3);
  final int[] x0 = new int[B * L];
  final double[] t = {0.15, 0.7};

  DuoDcdConformanceTest() {
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < x0.length; i++) {
      x0[i] = 4 + r.nextInt(V - 4);
    }
  }

  static TrainingObjective<NDArray> dcd(long stepsPerRound, long grid) {
    return Objectives.forFamily("duo")
        .configure(Map.of("steps_per_round", "" + stepsPerRound, "dcd_steps", "" + grid));
  }

  /** The DJL dcd loss of {@code student} against a frozen copy of {@code teacher}. */
  float djlLoss(DitWeights student, DitWeights teacher, long step, long k, long grid, long seed) {
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel s = DitModel.fromWeights(root, student);
        DitModel q = DitModel.frozen(root, teacher);
        NDManager scope = root.newSubManager()) {
      TrainingBatch batch =
          new TrainingBatch(x0.clone(), B, L, t.clone(), SPECIALS, new Rng(seed), step, 100);
      DjlBackbone net = new DjlBackbone(s, scope, new DjlBackbone(q, scope, null));
      return dcd(k, grid).loss(batch, net, "dcd").getFloat();
    }
  }

  /** Step 4 of 2-step rounds is round 2: dt = 4/16; the reference redraws everything itself. */
  @Test
  void djlLossEqualsFloat64KlOverTheReferenceDit() {
    float loss = djlLoss(studentWeights, teacherWeights, 4, 2, 16, 7);
    double dt = 4 / 16.0;
    Rng rng = new Rng(7);
    GaussianDuality duality = GaussianDuality.of(V);
    int[] zt = new int[B * L];
    int[] zs = new int[B * L];
    float[] sigmaT = new float[B];
    float[] sigmaS = new float[B];
    for (int b = 0; b < B; b++) {
      double tt = Math.min(t[b] + dt, 1);
      double gt = -4 + 3 * tt;
      double gs = -4 + 3 * (tt - dt);
      sigmaT[b] = (float) -Math.log(duality.alpha(gt));
      sigmaS[b] = (float) -Math.log(duality.alpha(gs));
      for (int l = 0; l < L; l++) {
        int[] z = CoupledLatent.sample(x0[b * L + l], V, gt, gs, rng);
        zt[b * L + l] = z[0];
        zs[b * L + l] = z[1];
      }
    }
    float[] ls =
        new ReferenceDit(studentWeights).forward(new TokenBatch(zt, B, L), sigmaT).values();
    float[] lt =
        new ReferenceDit(teacherWeights).forward(new TokenBatch(zs, B, L), sigmaS).values();
    double expected = 0;
    for (int i = 0; i < B * L; i++) {
      expected += DcdMath.kl(ls, i * V, lt, i * V, V, MASK);
    }
    expected /= B * L;
    assertTrue(expected > 1e-3, "distinct networks disagree: " + expected);
    assertEquals(expected, loss, 1e-4 * expected + 1e-6);
  }

  /**
   * Teacher = student: as dt → 0 (T = 2^30), z_s = z_t and alpha_s = alpha_t, so the KL vanishes;
   * at dt = 1/2 it does not.
   */
  @Test
  void zeroWhenTheTeacherIsTheStudentAndDtVanishes() {
    for (long seed = 1; seed <= 3; seed++) {
      float tiny = djlLoss(studentWeights, studentWeights, 0, 5, 1L << 30, seed);
      assertEquals(0f, tiny, 1e-6f, "seed " + seed);
    }
    float coarse = djlLoss(studentWeights, studentWeights, 0, 5, 2, 1);
    assertTrue(coarse > 1e-4, "dt = 1/2 separates z_t and z_s: " + coarse);
  }

  /** The gradient reaches the student's parameters; the frozen teacher records none. */
  @Test
  void gradientReachesOnlyTheStudent() {
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel s = DitModel.fromWeights(root, studentWeights);
        DitModel q = DitModel.frozen(root, teacherWeights)) {
      try (NDManager sub = root.newSubManager()) {
        for (NDArray p : s.parameters().values()) {
          p.tempAttach(sub);
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector();
            NDManager scope = sub.newSubManager()) {
          TrainingBatch batch = new TrainingBatch(x0.clone(), B, L, t, SPECIALS, new Rng(3), 0, 4);
          NDArray loss =
              dcd(2, 4)
                  .loss(batch, new DjlBackbone(s, scope, new DjlBackbone(q, scope, null)), "dcd");
          gc.backward(loss);
        }
        double norm = 0;
        for (NDArray p : s.parameters().values()) {
          for (float g : p.getGradient().toFloatArray()) {
            norm += g * g;
          }
        }
        assertTrue(norm > 0 && Double.isFinite(norm), "student gradient norm² " + norm);
        for (NDArray p : q.parameters().values()) {
          assertFalse(p.hasGradient(), "the teacher records no gradient");
        }
      }
    }
  }
}
