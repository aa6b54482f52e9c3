package dev.dllm.family.duo;

/**
 * Float64 formulas of uniform-state diffusion for one token (spec §3.1-3.2; [SD] algo.py {@code
 * DUO_BASE._compute_posterior} and {@code DUO_BASE._nll_per_token}). V is the full vocabulary size,
 * including the mask id where the tokenizer has one (the uniform noise draws it too, spec §1.5);
 * x_θ gives the mask id probability 0.
 *
 * <p>All probability vectors are {@code [V]} slices {@code p[offset .. offset + V)}.
 */
public final class DuoMath {
  private DuoMath() {}

  /**
   * The exact posterior q(z_s | z_t, x) with a probability vector x plugged in (spec §3.1):
   *
   * <pre>
   * [V α_t (x ⊙ e_t) + (α_{t|s} − α_t) e_t + (α_s − α_t) x + (1 − α_{t|s})(1 − α_s)/V · 1]
   *     / [V α_t x[z_t] + 1 − α_t]
   * </pre>
   *
   * with α_{t|s} = α_t / α_s. Equal to q(z_t|z_s) q(z_s|x) / q(z_t|x) for the mixture q(z_s|x) =
   * α_s x + (1 − α_s)/V, so it sums to 1 for any probability vector x. With α_s = 1 it is the final
   * (noise-removal) step.
   *
   * @param x probabilities over V ids
   * @param zt the token z_t at this position
   * @param alphaT α_t in (0, 1]
   * @param alphaS α_s in [α_t, 1]
   * @param out receives the V posterior probabilities at {@code out[0 .. V)}
   * @return {@code out}
   */
  public static double[] posterior(
      double[] x, int offset, int vocab, int zt, double alphaT, double alphaS, double[] out) {
    double[] m = posteriorMasses(x[offset + zt], vocab, alphaT, alphaS);
    double total = m[0] + m[1] + m[2];
    double perX = m[0] / total;
    double uniform = m[1] / (total * vocab);
    for (int v = 0; v < vocab; v++) {
      out[v] = perX * x[offset + v] + uniform;
    }
    out[zt] += m[2] / total;
    return out;
  }

  /**
   * The unnormalised posterior (spec §3.1, times its denominator) as a mixture of three parts:
   * {@code [M_x, M_u, M_e]} with numerator = M_x · x + M_u · (1/V) · 1 + M_e · e_t, where M_x = α_s
   * − α_t (x sums to 1), M_u = (1 − α_{t|s})(1 − α_s) and M_e = V α_t x[z_t] + α_{t|s} − α_t. The
   * three sum to the denominator V α_t x[z_t] + 1 − α_t &gt; 0. A sampler draws the part first and
   * then the token: an exact draw from the posterior.
   *
   * @param xAtZt x[z_t]
   */
  public static double[] posteriorMasses(double xAtZt, int vocab, double alphaT, double alphaS) {
    if (!(alphaT > 0 && alphaT <= alphaS && alphaS <= 1)) {
      throw new IllegalArgumentException(
          "need 0 < alpha_t <= alpha_s <= 1, got alpha_t=" + alphaT + ", alpha_s=" + alphaS);
    }
    double ratio = alphaT / alphaS;
    double mx = alphaS - alphaT;
    double mu = (alphaS - alphaT) / alphaS * (1 - alphaS);
    double me = vocab * alphaT * xAtZt + ratio - alphaT;
    return new double[] {mx, mu, me};
  }

  /**
   * The Duo / UDLM continuous-time NELBO integrand of one token (spec §3.2), in the closed form of
   * the j-sum and with the stable difference Σ_j (log x̄_θ,j − log x̄_θ,i) (spec §10.8):
   *
   * <pre>
   * loss = α'/(V α) · [V/x̄_i − V/x̄_θ,i − Σ_j (x̄_j/x̄_i) log(x̄_θ,i x̄_j / (x̄_θ,j x̄_i))]
   * </pre>
   *
   * with i = z_t, x̄ = V α e_x + (1 − α) and x̄_θ = V α x_θ + (1 − α). Exactly 0 (up to rounding)
   * when x_θ = e_x, and &gt;= 0 otherwise.
   *
   * @param xTheta model probabilities over V ids (the mask id has 0)
   * @param x0 the clean token
   * @param zt the noisy token i
   * @param alpha α_t in (0, 1)
   * @param move 1 − α_t, passed separately so that it carries no cancellation (log-linear: (1 − ε)
   *     t)
   * @param alphaPrime dα_t/dt (&lt; 0)
   * @return the per-token loss in nats
   */
  public static double tokenLoss(
      double[] xTheta,
      int offset,
      int vocab,
      int x0,
      int zt,
      double alpha,
      double move,
      double alphaPrime) {
    double va = vocab * alpha;
    double logI = Math.log(va * xTheta[offset + zt] + move);
    double logX = Math.log(va * xTheta[offset + x0] + move);
    double d = 0; // Σ_j (log x̄_θ,j − log x̄_θ,i)
    for (int v = 0; v < vocab; v++) {
      d += Math.log(va * xTheta[offset + v] + move) - logI;
    }
    double ratio = va / move; // x̄_x / x̄_{j≠x} − 1 = Vα/(1 − α)
    double invXi;
    double data; // Σ_j (x̄_j/x̄_i) log(x̄_j/x̄_i), data only
    if (zt == x0) {
      invXi = 1 / (move + va);
      data = -(vocab - 1) * (move * invXi) * Math.log1p(ratio);
    } else {
      invXi = 1 / move;
      data = (1 + ratio) * Math.log1p(ratio);
    }
    double sum = invXi * (-move * d + va * (logI - logX)) + data;
    double bracket = vocab * invXi - vocab * Math.exp(-logI) - sum;
    return alphaPrime / va * bracket;
  }
}
