package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DuoMathTest {
  final SplittableRandom r = new SplittableRandom(8);

  double[] randomProbs(int v, int zeroAt) {
    double[] x = new double[v];
    double s = 0;
    for (int i = 0; i < v; i++) {
      x[i] = i == zeroAt ? 0 : Math.exp(2 * r.nextGaussian());
      s += x[i];
    }
    for (int i = 0; i < v; i++) {
      x[i] /= s;
    }
    return x;
  }

  @Test
  void posteriorSumsToOneForRandomProbabilityVectors() {
    for (int trial = 0; trial < 200; trial++) {
      int v = 2 + r.nextInt(40);
      double[] x = randomProbs(v, r.nextInt(v));
      double alphaS = r.nextDouble() * 0.999 + 0.001;
      double alphaT = alphaS * (r.nextDouble() * 0.999 + 0.001);
      if (trial % 10 == 0) {
        alphaS = 1; // the final (noise-removal) step
      }
      double[] q = DuoMath.posterior(x, 0, v, r.nextInt(v), alphaT, alphaS, new double[v]);
      double sum = 0;
      for (double p : q) {
        assertTrue(p >= 0);
        sum += p;
      }
      assertEquals(1.0, sum, 1e-12);
    }
  }

  /** q(z_s|z_t,x) = q(z_t|z_s) q(z_s|x) / q(z_t|x) on every (z_t, z_s), V = 5 (spec §3.1). */
  @Test
  void posteriorEqualsBruteForceBayesForV5() {
    int v = 5;
    double[][] alphas = {{0.2, 0.7}, {0.05, 0.06}, {0.5, 1.0}, {0.9, 0.95}, {0.3, 0.3}};
    for (double[] a : alphas) {
      double alphaT = a[0];
      double alphaS = a[1];
      double ats = alphaT / alphaS;
      for (int trial = 0; trial < 5; trial++) {
        double[] x = trial == 0 ? oneHot(v, 2) : randomProbs(v, -1);
        for (int zt = 0; zt < v; zt++) {
          double[] q = DuoMath.posterior(x, 0, v, zt, alphaT, alphaS, new double[v]);
          double evidence = 0; // q(z_t | x) = Σ_{z_s} q(z_t|z_s) q(z_s|x)
          for (int zs = 0; zs < v; zs++) {
            evidence += transition(ats, zs, zt, v) * (alphaS * x[zs] + (1 - alphaS) / v);
          }
          assertEquals(alphaT * x[zt] + (1 - alphaT) / v, evidence, 1e-15);
          for (int zs = 0; zs < v; zs++) {
            double bayes =
                transition(ats, zs, zt, v) * (alphaS * x[zs] + (1 - alphaS) / v) / evidence;
            assertEquals(bayes, q[zs], 1e-13, "zt=" + zt + " zs=" + zs);
          }
        }
      }
    }
  }

  /** q(z_t = j | z_s = i) = alpha_{t|s} [i = j] + (1 - alpha_{t|s}) / V. */
  static double transition(double ats, int zs, int zt, int v) {
    return ats * (zs == zt ? 1 : 0) + (1 - ats) / v;
  }

  static double[] oneHot(int v, int at) {
    double[] x = new double[v];
    x[at] = 1;
    return x;
  }

  @Test
  void finalStepReducesToTheSpecFormula() {
    int v = 7;
    double[] x = randomProbs(v, 3);
    double alphaT = 0.4;
    for (int zt = 0; zt < v; zt++) {
      double[] q = DuoMath.posterior(x, 0, v, zt, alphaT, 1.0, new double[v]);
      double den = v * alphaT * x[zt] + 1 - alphaT;
      for (int j = 0; j < v; j++) {
        double num = (j == zt ? v * alphaT * x[j] : 0) + (1 - alphaT) * x[j];
        assertEquals(num / den, q[j], 1e-15);
      }
    }
  }

  /** The spec §3.2 integrand with the explicit sum over j, written independently. */
  static double explicitLoss(double[] xTheta, int v, int x0, int i, double alpha, double dAlpha) {
    double[] xb = new double[v];
    double[] xbt = new double[v];
    for (int j = 0; j < v; j++) {
      xb[j] = 1 - alpha + (j == x0 ? v * alpha : 0);
      xbt[j] = v * alpha * xTheta[j] + 1 - alpha;
    }
    double sum = 0;
    for (int j = 0; j < v; j++) {
      sum += xb[j] / xb[i] * Math.log(xbt[i] * xb[j] / (xbt[j] * xb[i]));
    }
    return dAlpha / (v * alpha) * (v / xb[i] - v / xbt[i] - sum);
  }

  @Test
  void closedFormEqualsExplicitSumOverJ() {
    double[] ts = {1e-3, 0.01, 0.2, 0.5, 0.9, 1.0};
    for (double t : ts) {
      double alpha = 1 - (1 - 1e-3) * t;
      double move = (1 - 1e-3) * t;
      for (int trial = 0; trial < 30; trial++) {
        int v = 2 + r.nextInt(60);
        double[] x = randomProbs(v, trial % 3 == 0 ? r.nextInt(v) : -1);
        int x0 = r.nextInt(v);
        int zt = trial % 2 == 0 ? x0 : r.nextInt(v);
        double closed = DuoMath.tokenLoss(x, 0, v, x0, zt, alpha, move, -(1 - 1e-3));
        double explicit = explicitLoss(x, v, x0, zt, alpha, -(1 - 1e-3));
        assertEquals(explicit, closed, 1e-9 * Math.max(1, Math.abs(explicit)), "t=" + t);
      }
    }
  }

  @Test
  void lossIsZeroAtTheCleanOneHotAndPositiveOtherwise() {
    double[] ts = {1e-3, 0.1, 0.5, 1.0};
    for (double t : ts) {
      double alpha = 1 - (1 - 1e-3) * t;
      double move = (1 - 1e-3) * t;
      for (int v : new int[] {2, 5, 50, 1000}) {
        for (int zt = 0; zt < Math.min(v, 4); zt++) {
          double zero = DuoMath.tokenLoss(oneHot(v, 1), 0, v, 1, zt, alpha, move, -(1 - 1e-3));
          assertEquals(0.0, zero, 1e-9, "t=" + t + " V=" + v + " zt=" + zt);
        }
        for (int trial = 0; trial < 20; trial++) {
          double[] x = randomProbs(v, -1);
          int x0 = r.nextInt(v);
          int zt = trial % 2 == 0 ? x0 : r.nextInt(v);
          double loss = DuoMath.tokenLoss(x, 0, v, x0, zt, alpha, move, -(1 - 1e-3));
          assertTrue(loss > 0, "t=" + t + " V=" + v + " loss=" + loss);
        }
      }
    }
  }

  /**
   * What the mean parameterisation learns (issue 8: "Duo does not copy its input"). For one token
   * with data distribution p and z_t ~ q(.|x), the expected NELBO integrand E_x E_{z_t|x} of {@link
   * DuoMath#tokenLoss} is minimised by x_θ(z_t) = p for every z_t: the denoiser predicts the token
   * from the other positions only, because the posterior formula adds the evidence of z_t itself
   * analytically (the exact reverse ratio is (α p̂_j + (1−α)/V) / (α p̂_i + (1−α)/V) with p̂ =
   * p(x_l | z_t^{−l})). The "copying" posterior mean E[x | z_t] scores far worse at low noise, and
   * no random perturbation of p beats p. So a weak Duo whose argmax ignores its input is right, and
   * its greedy tail (argmax x_θ) is only as good as its context prediction.
   */
  @Test
  void nelboIsMinimisedByTheContextPredictionNotByCopying() {
    int v = 5;
    double[] p = {0.5, 0.2, 0.15, 0.1, 0.05};
    for (double alpha : new double[] {0.99, 0.5, 0.1}) {
      double[][] prior = new double[v][];
      double[][] copying = new double[v][];
      for (int z = 0; z < v; z++) {
        prior[z] = p.clone();
        copying[z] = new double[v];
        double norm = 0;
        for (int x = 0; x < v; x++) {
          copying[z][x] = p[x] * forward(z, x, alpha, v);
          norm += copying[z][x];
        }
        for (int x = 0; x < v; x++) {
          copying[z][x] /= norm;
        }
      }
      double best = expectedLoss(prior, p, alpha);
      assertTrue(
          expectedLoss(copying, p, alpha) > best + 1e-3,
          "alpha=" + alpha + ": copying must lose to the context prediction");
      for (int trial = 0; trial < 500; trial++) {
        double[][] f = new double[v][];
        for (int z = 0; z < v; z++) {
          double[] g = new double[v];
          double s = 0;
          for (int x = 0; x < v; x++) {
            g[x] = p[x] * Math.exp(0.3 * r.nextGaussian());
            s += g[x];
          }
          for (int x = 0; x < v; x++) {
            g[x] /= s;
          }
          f[z] = g;
        }
        assertTrue(expectedLoss(f, p, alpha) >= best - 1e-12, "alpha=" + alpha);
      }
    }
  }

  /** q(z_t = z | x) = α [z = x] + (1 − α)/V. */
  private static double forward(int z, int x, double alpha, int v) {
    return alpha * (z == x ? 1 : 0) + (1 - alpha) / v;
  }

  /** Σ_x p(x) Σ_z q(z|x) tokenLoss(f(z), x, z) at dα/dt = −1. */
  private static double expectedLoss(double[][] f, double[] p, double alpha) {
    int v = p.length;
    double sum = 0;
    for (int x = 0; x < v; x++) {
      for (int z = 0; z < v; z++) {
        sum +=
            p[x]
                * forward(z, x, alpha, v)
                * DuoMath.tokenLoss(f[z], 0, v, x, z, alpha, 1 - alpha, -1);
      }
    }
    return sum;
  }
}
