package dev.dllm.family.duo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.duo.DuoFamily;
import dev.dllm.family.duo.DuoMath;
import dev.dllm.family.duo.GaussianDuality;
import java.util.List;
import java.util.Random;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The DJL Duo loss equals the float64 {@link DuoFamily#nelboAt} on the same inputs. */
class DuoObjectiveConformanceTest {
  static final int B = 4;
  static final int L = 9;
  static final int V = 13;
  static final int MASK = 6;
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  final Random r = new Random(31);
  final float[] values = new float[B * L * V];
  final int[] x0 = new int[B * L];
  final double[] t = {0.05, 0.3, 0.62, 0.999};

  DuoObjectiveConformanceTest() {
    for (int i = 0; i < values.length; i++) {
      // multiples of 2^-10, so that the finite-difference steps below are exact in float32
      values[i] = Math.round(3 * r.nextGaussian() * 1024) / 1024f;
    }
    for (int i = 0; i < x0.length; i++) {
      int v = r.nextInt(V - 1);
      x0[i] = v >= MASK ? v + 1 : v;
    }
  }

  static Denoiser fixed(float[] values, int b, int l, int v) {
    Logits logits = new Logits(values, b, l, v);
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return v;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        return logits;
      }
    };
  }

  static float djlLoss(
      float[] values,
      int[] x0,
      int[] zt,
      double[] t,
      int b,
      int l,
      int v,
      int mask,
      String objective) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.create(values, new Shape(b, l, v));
      return new DuoObjective().loss(logits, x0, zt, t, mask, objective).getFloat();
    }
  }

  @Test
  void lossTimesPositionsEqualsFloat64Nelbo() {
    DuoFamily duo = new DuoFamily();
    NllSum ref = duo.nelbo(fixed(values, B, L, V), x0, B, L, t, SPECIALS, new Rng(77));
    int[] zt = duo.corrupt(x0, B, L, t, V, new Rng(77));
    int same = 0;
    for (int i = 0; i < zt.length; i++) {
      same += zt[i] == x0[i] ? 1 : 0;
    }
    assertTrue(same > 0 && same < zt.length, "both cases are exercised");
    assertEquals(B * L, ref.tokens());
    assertTrue(ref.nll() > 0);
    double djl = djlLoss(values, x0, zt, t, B, L, V, MASK, "elbo") * (double) ref.tokens();
    assertEquals(ref.nll(), djl, 1e-4 * ref.nll());
  }

  /**
   * Through the training seam: the objective corrupts x0 over the backbone's V with the batch's Rng
   * (as {@link DuoFamily#nelbo} does with its Rng), feeds z_t at sigma = −log alpha_t and returns
   * the NELBO / (B·L).
   */
  @Test
  void trainingSeamCorruptsFeedsSigmaAndEqualsNelbo() {
    DuoFamily duo = new DuoFamily();
    NllSum ref = duo.nelbo(fixed(values, B, L, V), x0, B, L, t, SPECIALS, new Rng(41));
    int[] zt = duo.corrupt(x0, B, L, t, V, new Rng(41));
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      FakeBackbone net = new FakeBackbone(m, values, V);
      TrainingBatch batch = new TrainingBatch(x0, B, L, t, SPECIALS, new Rng(41), 3, 10);
      float loss = new DuoObjective().loss(batch, net, "elbo").getFloat();
      assertEquals(ref.nll(), loss * (double) (B * L), 1e-4 * ref.nll());
      long[] fed = net.fedIds;
      for (int i = 0; i < zt.length; i++) {
        assertEquals(zt[i], fed[i], "z_t at " + i);
      }
      float[] sigma = net.fedSigma;
      for (int b = 0; b < B; b++) {
        assertEquals((float) duo.schedule().sigma(t[b]), sigma[b], 0f);
      }
    }
  }

  /** d loss / d logit against a central difference of the float64 nelboAt (exact steps). */
  @Test
  void gradientMatchesFiniteDifferencesOfTheFloat64Nelbo() {
    DuoFamily duo = new DuoFamily();
    int[] zt = duo.corrupt(x0, B, L, t, V, new Rng(5));
    float[] grad;
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.create(values, new Shape(B, L, V));
      logits.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = new DuoObjective().loss(logits, x0, zt, t, MASK, "elbo");
        gc.backward(loss);
      }
      grad = logits.getGradient().toFloatArray();
    }
    FiniteDifferences.assertGradientMatches(
        values,
        grad,
        7,
        V,
        MASK,
        v -> duo.nelboAt(fixed(v, B, L, V), x0, zt, B, L, t, SPECIALS).nll() / (B * L));
  }

  /** GPT-2 size vocabulary at t = 1e-3 (V alpha / (1 - alpha) ≈ 5e7): finite in float32. */
  @Test
  void finiteInFloat32AtGpt2VocabularyAndSmallT() {
    int v = 50257;
    int b = 1;
    int l = 4;
    float[] big = new float[b * l * v];
    Random g = new Random(3);
    for (int i = 0; i < big.length; i++) {
      big[i] = (float) (2 * g.nextGaussian());
    }
    int[] clean = {10, 20, 30, 40};
    int[] noisy = {10, 20, 31000, 7};
    double[] time = {1e-3};
    float loss = djlLoss(big, clean, noisy, time, b, l, v, -1, "elbo");
    assertTrue(Float.isFinite(loss) && loss > 0, "loss " + loss);
    double ref =
        new DuoFamily()
            .nelboAt(
                fixed(big, b, l, v), clean, noisy, b, l, time, new SpecialTokens(-1, -1, -1, -1))
            .perToken();
    assertEquals(ref, loss, 1e-3 * ref);
  }

  /**
   * Curriculum steps feed softmax(w/τ) and score the Duo NELBO at z_t = argmax w with alpha from
   * the Gaussian-to-discrete map; after half the run the plain ELBO path (token input) is used.
   */
  @Test
  void curriculumFeedsTheSoftLatentAndScoresItsArgmax() {
    double[] times = {0.05, 0.3, 0.62, 0.999};
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      FakeBackbone net = new FakeBackbone(m, values, V);
      TrainingBatch batch = new TrainingBatch(x0, B, L, times, SPECIALS, new Rng(8), 10, 100);
      float loss = new DuoObjective().loss(batch, net, "curriculum").getFloat();
      assertTrue(net.fedIds == null, "the curriculum feeds no token ids");
      float[] w = net.fedWeights;
      float[] sigma = net.fedSigma;
      GaussianDuality duality = GaussianDuality.of(V);
      double span = DuoObjective.GAMMA_MAX - DuoObjective.GAMMA_MIN;
      double expected = 0;
      int noisy = 0;
      for (int b = 0; b < B; b++) {
        double gamma = DuoObjective.GAMMA_MIN + times[b] * span;
        double alpha = duality.alpha(gamma);
        double alphaPrime = duality.dalphaDgamma(gamma) * span;
        assertEquals((float) -Math.log(alpha), sigma[b], 1e-6f);
        for (int l = 0; l < L; l++) {
          int i = b * L + l;
          int zt = 0;
          for (int v = 1; v < V; v++) {
            zt = w[i * V + v] > w[i * V + zt] ? v : zt;
          }
          noisy += zt != x0[i] ? 1 : 0;
          double[] p = MaskedSoftmax.softmax(values, i * V, V, MASK, new double[V]);
          expected += DuoMath.tokenLoss(p, 0, V, x0[i], zt, alpha, 1 - alpha, alphaPrime);
        }
      }
      assertTrue(noisy > 0 && noisy < B * L, "both cases occur: " + noisy);
      expected /= B * L;
      assertEquals(expected, loss, 1e-4 * expected);
      FakeBackbone late = new FakeBackbone(m, values, V);
      TrainingBatch after = new TrainingBatch(x0, B, L, times, SPECIALS, new Rng(8), 51, 100);
      new DuoObjective().loss(after, late, "curriculum");
      assertTrue(late.fedWeights == null && late.fedIds != null, "plain ELBO after the curriculum");
    }
  }

  /** The engine-side scatter builds the same dense soft input as the Java layout (k < V). */
  @Test
  void softInputScatterEqualsTheDenseLayout() {
    double[] times = {0.2, 0.9};
    int[] ids = java.util.Arrays.copyOf(x0, 2 * L);
    TrainingBatch batch = new TrainingBatch(ids, 2, L, times, SPECIALS, new Rng(4), 0, 10);
    CurriculumLatent z =
        CurriculumLatent.draw(
            batch, V, new dev.dllm.family.duo.curriculum.GammaBand(-3.55, -1.85, V), 3, 1e-3);
    assertEquals(3, z.kept());
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float[] engine = DuoObjective.softInput(z, 2, L, V, m).toFloatArray();
      float[] java = z.dense(V);
      assertEquals(java.length, engine.length);
      int dropped = 0;
      for (int i = 0; i < java.length; i++) {
        assertEquals(java[i], engine[i], 0f, "entry " + i);
        dropped += java[i] == CurriculumLatent.DROPPED ? 1 : 0;
      }
      assertEquals(2 * L * (V - 3), dropped);
    }
  }

  @Test
  void registeredWithElboFirstAndRejectsLowVar() {
    boolean found = false;
    for (TrainingObjective<?> o : ServiceLoader.load(TrainingObjective.class)) {
      if (o instanceof DuoObjective) {
        found = true;
        assertEquals(List.of("elbo", "curriculum", "dcd"), List.copyOf(o.objectives()));
        assertEquals("duo", o.family());
      }
    }
    assertTrue(found);
    assertThrows(
        InvalidInputException.class,
        () -> djlLoss(values, x0, x0.clone(), t, B, L, V, MASK, "low_var"));
  }
}
