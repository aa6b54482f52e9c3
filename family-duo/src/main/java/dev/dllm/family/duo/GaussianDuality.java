package dev.dllm.family.duo;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Gaussian-to-discrete transformation of Duo (spec §3.4; [DUO] utils.py {@code
 * _discrete_prob_map}): for the variance-preserving latent w = α̃ e_x + σ̃ ε over V coordinates
 * with SNR e^(−γ), argmax w is a uniform-state diffusion sample with
 *
 * <pre>
 * alpha(γ) = (V · P(γ) − 1) / (V − 1),  P(γ) = ∫ φ(z − μ) Φ(z)^(V−1) dz,  μ = e^(−γ/2),
 * dP/dγ = ∫ −½ μ (z − μ) φ(z − μ) Φ(z)^(V−1) dz,   dalpha/dγ = V/(V − 1) · dP/dγ.
 * </pre>
 *
 * P is the probability that the clean coordinate wins the argmax. Computed in float64 by the
 * trapezoid rule with step {@value #H} on z ∈ [max(−12, μ − 10, z_V), μ + 10], where below z_V the
 * factor Φ(z)^(V−1) is under e^(−750) (it underflows), with the integrand exp(log φ(z − μ) + (V −
 * 1) log Φ(z)) and a stable {@link NormalTail#logCdf} (spec: verified to ~1e-12 against the
 * reference table). log Φ is tabulated once on the z grid and shared; one instance per V is cached
 * ({@link #of}), and holds a lazily built table of P and dP/dγ on γ ∈ [{@value #GAMMA_MIN}, {@value
 * #GAMMA_MAX}] (step {@value #GAMMA_STEP}) for fast lookups with cubic Hermite interpolation
 * ({@link #alphaLookup}). No pickled tables.
 */
public final class GaussianDuality {
  /** Quadrature step in z. */
  public static final double H = 1e-3;

  /** Lower end of the z grid: Φ(−12)^(V−1) &lt;= 2e-33 for every V &gt;= 2. */
  static final double Z_LO = -12;

  /** Above this z, log Φ(z) &lt; 1e-300 in magnitude and is taken as 0. */
  static final double Z_HI = 40;

  /** Half-width of the integration window around μ: φ(10) ≈ 8e-23. */
  static final double WINDOW = 10;

  /** Range and step of the cached γ table. */
  public static final double GAMMA_MIN = -8;

  public static final double GAMMA_MAX = 12;
  public static final double GAMMA_STEP = 0.01;

  private static final Map<Integer, GaussianDuality> CACHE = new ConcurrentHashMap<>();

  private final int vocab;
  private final int kMin; // first grid index where (V − 1) log Φ(z) >= −750
  private volatile double[][] table; // {P, dP/dγ} on the γ grid

  private GaussianDuality(int vocab) {
    this.vocab = vocab;
    double[] logPhi = LogPhiGrid.VALUES;
    int k = 0;
    while (k < logPhi.length - 1 && (vocab - 1.0) * logPhi[k] < -750) {
      k++;
    }
    this.kMin = k;
  }

  /**
   * The transformation for V ids (cached per V).
   *
   * @param vocab V &gt;= 2, the model's vocabulary size including the mask id (spec §3.4)
   * @throws IllegalArgumentException when V &lt; 2
   */
  public static GaussianDuality of(int vocab) {
    if (vocab < 2) {
      throw new IllegalArgumentException("the Gaussian duality needs V >= 2, got " + vocab);
    }
    return CACHE.computeIfAbsent(vocab, GaussianDuality::new);
  }

  public int vocab() {
    return vocab;
  }

  /** P(γ), the probability that the clean coordinate wins the argmax, by quadrature. */
  public double p(double gamma) {
    return integrals(gamma)[0];
  }

  /** dP/dγ (&lt;= 0) by quadrature. */
  public double dpDgamma(double gamma) {
    return integrals(gamma)[1];
  }

  /** alpha(γ) = (V P(γ) − 1)/(V − 1), strictly decreasing from 1 to 0 ({@link #alphaOf}). */
  public double alpha(double gamma) {
    return alphaOf(p(gamma));
  }

  /**
   * alpha = (V P − 1)/(V − 1) for a probability P = P(γ), clamped to [0, 1], which rounding of P
   * near 1/V or 1 would otherwise leave (e.g. −1.1e-17 at γ = 1e5). Every alpha of this class and
   * of {@code dllm duo-schedule} goes through here.
   */
  public double alphaOf(double p) {
    return Math.min(1, Math.max(0, (vocab * p - 1) / (vocab - 1)));
  }

  /** dalpha/dγ = V/(V − 1) · dP/dγ for a given dP/dγ. */
  public double dalphaOf(double dp) {
    return vocab * dp / (vocab - 1);
  }

  /** dalpha/dγ = V/(V − 1) · dP/dγ. */
  public double dalphaDgamma(double gamma) {
    return dalphaOf(dpDgamma(gamma));
  }

  /**
   * {P(γ), dP/dγ} by one trapezoid pass.
   *
   * @throws IllegalArgumentException for a non-finite γ
   */
  public double[] integrals(double gamma) {
    if (!Double.isFinite(gamma)) {
      throw new IllegalArgumentException("gamma must be finite, got " + gamma);
    }
    double mu = Math.exp(-gamma / 2);
    double lo = Math.max(Z_LO, mu - WINDOW);
    double hi = mu + WINDOW;
    if (lo > Z_LO + (LogPhiGrid.VALUES.length - 1) * H) {
      // the whole window lies past the grid, where (V − 1) log Φ(z) is 0 in double precision:
      // P = ∫ N(z; μ, 1) dz = 1 and dP/dγ = 0 by symmetry (and the grid indices, beyond
      // Integer.MAX_VALUE for γ below about −29, cannot be formed)
      return new double[] {1.0, 0.0};
    }
    int kLo = Math.max(kMin, (int) Math.floor((lo - Z_LO) / H));
    int kHi = (int) Math.ceil((hi - Z_LO) / H);
    double[] logPhi = LogPhiGrid.VALUES;
    double scale = vocab - 1.0;
    double sumP = 0;
    double sumD = 0;
    for (int k = kLo; k <= kHi; k++) {
      double z = Z_LO + k * H;
      double lp = k < logPhi.length ? scale * logPhi[k] : 0;
      double f = Math.exp(NormalTail.logPdf(z - mu) + lp);
      double w = k == kLo || k == kHi ? 0.5 : 1.0;
      sumP += w * f;
      sumD += w * (z - mu) * f;
    }
    // P is a probability: clip the ~1e-13 rounding of the sum that can push it past 1 as γ → −∞
    return new double[] {Math.min(1.0, sumP * H), -0.5 * mu * sumD * H};
  }

  /**
   * alpha(γ) and dalpha/dγ from the cached table (built on first use, {@value #GAMMA_MIN} &lt;= γ
   * &lt;= {@value #GAMMA_MAX}), by cubic Hermite interpolation of P with its derivative; γ outside
   * the table range is computed by quadrature.
   *
   * @return {alpha, dalpha/dγ}
   */
  public double[] alphaLookup(double gamma) {
    double p;
    double dp;
    if (!(gamma >= GAMMA_MIN && gamma <= GAMMA_MAX)) {
      double[] e = integrals(gamma);
      p = e[0];
      dp = e[1];
    } else {
      double[][] tab = table();
      double pos = (gamma - GAMMA_MIN) / GAMMA_STEP;
      int i = Math.min((int) Math.floor(pos), tab[0].length - 2);
      double s = pos - i;
      double h = GAMMA_STEP;
      double p0 = tab[0][i];
      double p1 = tab[0][i + 1];
      double m0 = tab[1][i] * h;
      double m1 = tab[1][i + 1] * h;
      double s2 = s * s;
      double s3 = s2 * s;
      p =
          (2 * s3 - 3 * s2 + 1) * p0
              + (s3 - 2 * s2 + s) * m0
              + (-2 * s3 + 3 * s2) * p1
              + (s3 - s2) * m1;
      dp =
          ((6 * s2 - 6 * s) * p0
                  + (3 * s2 - 4 * s + 1) * m0
                  + (-6 * s2 + 6 * s) * p1
                  + (3 * s2 - 2 * s) * m1)
              / h;
    }
    return new double[] {alphaOf(p), dalphaOf(dp)};
  }

  private double[][] table() {
    double[][] t = table;
    if (t == null) {
      synchronized (this) {
        t = table;
        if (t == null) {
          int n = (int) Math.round((GAMMA_MAX - GAMMA_MIN) / GAMMA_STEP) + 1;
          double[][] built = new double[2][n];
          java.util.stream.IntStream.range(0, n)
              .parallel()
              .forEach(
                  i -> {
                    double[] e = integrals(GAMMA_MIN + i * GAMMA_STEP);
                    built[0][i] = e[0];
                    built[1][i] = e[1];
                  });
          table = built;
          t = built;
        }
      }
    }
    return t;
  }

  /** log Φ(z) on z = Z_LO + k·H, k = 0 .. (Z_HI − Z_LO)/H, computed once per JVM. */
  private static final class LogPhiGrid {
    static final double[] VALUES = build();

    private static double[] build() {
      int n = (int) Math.round((Z_HI - Z_LO) / H) + 1;
      double[] v = new double[n];
      for (int k = 0; k < n; k++) {
        v[k] = NormalTail.logCdf(Z_LO + k * H);
      }
      return v;
    }
  }
}
