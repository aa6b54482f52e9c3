package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DuoFamilyTest {
  static final SpecialTokens NO_MASK = new SpecialTokens(-1, -1, -1, -1);

  @Test
  void registeredAsTimeConditionedBidirectional() {
    DiffusionFamilyCheck.check(FamilyRegistry.load().get("duo"));
  }

  /** Kept separate so that the registry lookup reads as one line above. */
  static final class DiffusionFamilyCheck {
    static void check(dev.dllm.api.DiffusionFamily f) {
      assertInstanceOf(DuoFamily.class, f);
      assertTrue(f.backbone().timeConditioned());
      assertEquals("true", f.exportMetadata().get("time_conditioning"));
      assertEquals("duo", f.exportMetadata().get("family"));
    }
  }

  @Test
  void corruptionIsUniformOverAllIdsIncludingTheMask() {
    int v = 6;
    int n = 200_000;
    DuoFamily duo = new DuoFamily().forVocabulary(v);
    int[] x0 = new int[n];
    java.util.Arrays.fill(x0, 2);
    double t = 0.4;
    int[] zt = duo.corrupt(x0, 1, n, new double[] {t}, new SpecialTokens(0, 1, -1, 5), new Rng(3));
    int[] counts = new int[v];
    for (int z : zt) {
      counts[z]++;
    }
    double move = (1 - 1e-3) * t;
    for (int k = 0; k < v; k++) {
      double p = move / v + (k == 2 ? 1 - move : 0); // q(z_t | x) = alpha e_x + (1 - alpha)/V
      double se = Math.sqrt(p * (1 - p) / n);
      assertEquals(p, counts[k] / (double) n, 5 * se, "id " + k);
    }
  }

  @Test
  void corruptNeedsAVocabulary() {
    DuoFamily unbound = new DuoFamily();
    assertEquals(0, unbound.vocabulary());
    assertThrows(
        IllegalStateException.class,
        () -> unbound.corrupt(new int[2], 1, 2, new double[] {0.5}, NO_MASK, new Rng(1)));
    assertThrows(InvalidInputException.class, () -> unbound.forVocabulary(1));
    assertEquals(9, unbound.forVocabulary(9).vocabulary());
    int[] a =
        unbound
            .forVocabulary(9)
            .corrupt(new int[8], 2, 4, new double[] {0.5, 1}, NO_MASK, new Rng(4));
    assertArrayEquals(a, unbound.corrupt(new int[8], 2, 4, new double[] {0.5, 1}, 9, new Rng(4)));
  }

  @Test
  void nelboIsCorruptThenNelboAtWithPerRowSigma() {
    int v = 11;
    int mask = 4;
    SpecialTokens specials = new SpecialTokens(0, 1, -1, mask);
    DuoFamily duo = new DuoFamily();
    int[] x0 = new int[3 * 7];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = (i * 5) % v == mask ? 0 : (i * 5) % v;
    }
    double[] t = {0.01, 0.5, 0.97};
    TestNets.Recording net = new TestNets.Recording(v, mask);
    NllSum s = duo.nelbo(net, x0, 3, 7, t, specials, new Rng(12));
    int[] zt = duo.corrupt(x0, 3, 7, t, v, new Rng(12));
    assertArrayEquals(zt, net.inputs.get(0).ids());
    LogLinearSchedule sched = new LogLinearSchedule();
    for (int b = 0; b < 3; b++) {
      assertEquals((float) sched.sigma(t[b]), net.sigmas.get(0)[b], 0f);
    }
    NllSum again = duo.nelboAt(net, x0, zt, 3, 7, t, specials);
    assertEquals(s.nll(), again.nll(), 0);
    assertEquals(21, s.tokens());
    assertTrue(s.nll() > 0);
  }

  /** Any model's NELBO per token >= ln 4 - 3 stderr on i.i.d. uniform data over 4 tokens. */
  @Test
  void uniformDataOracle() {
    int v = 4;
    int rows = 4000;
    int length = 8;
    DuoFamily duo = new DuoFamily();
    Rng rng = new Rng(99);
    int[] x0 = new int[rows * length];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = rng.nextInt(v);
    }
    double[] t = new double[rows];
    for (int b = 0; b < rows; b++) {
      t[b] = 1e-3 + (1 - 1e-3) * (b + rng.uniform()) / rows; // stratified in [1e-3, 1]
    }
    List<Denoiser> models =
        List.of(TestNets.constant(v), TestNets.posteriorMean(v), new TestNets.Recording(v, -1));
    double[] means = new double[models.size()];
    for (int m = 0; m < models.size(); m++) {
      double[] perRow = new double[rows];
      Rng draws = new Rng(7 + m);
      for (int b = 0; b < rows; b++) {
        int[] row = java.util.Arrays.copyOfRange(x0, b * length, (b + 1) * length);
        perRow[b] =
            duo.nelbo(models.get(m), row, 1, length, new double[] {t[b]}, NO_MASK, draws.split())
                .perToken();
      }
      double mean = 0;
      for (double p : perRow) {
        mean += p / rows;
      }
      double var = 0;
      for (double p : perRow) {
        var += (p - mean) * (p - mean) / (rows - 1);
      }
      double se = Math.sqrt(var / rows);
      means[m] = mean;
      assertTrue(mean >= Math.log(4) - 3 * se, "model " + m + ": " + mean + " < ln 4 - 3 * " + se);
      if (m == 0) {
        // the exact reverse process attains the bound (up to the missing [0, 1e-3] and prior
        // terms)
        assertEquals(Math.log(4), mean, 5 * se + 2e-3, "exact denoiser");
      }
    }
    assertTrue(means[1] > means[0] + 0.1 && means[2] > means[0] + 0.1, Arrays.toString(means));
  }

  @Test
  void nearPerfectModelHasNearZeroLoss() {
    int v = 7;
    int[] x0 = {3, 1, 4, 1, 5, 2};
    float[] logits = new float[x0.length * v];
    for (int i = 0; i < x0.length; i++) {
      logits[i * v + x0[i]] = 60f;
    }
    Denoiser perfect =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return v;
          }

          @Override
          public dev.dllm.api.Logits forward(dev.dllm.api.TokenBatch tokens, float[] sigma) {
            return new dev.dllm.api.Logits(logits, 2, 3, v);
          }
        };
    NllSum s =
        new DuoFamily().nelbo(perfect, x0, 2, 3, new double[] {0.3, 0.9}, NO_MASK, new Rng(1));
    assertTrue(s.nll() >= 0 && s.nll() < 1e-12, "loss " + s.nll());
  }
}
