package dev.dllm.family.duo;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A tiny exact model for Duo: data x = (x^0 .. x^{L-1}) over V ids from a known Markov chain p(x)
 * (full support), and a {@link Denoiser} that computes the exact x_θ for that data by enumerating
 * all V^L sequences, with the given positions (known to the oracle; their ids are read from z_t,
 * where the sampler clamps them) fixed and the uniform-state likelihood q(z_t^k | x^k) = alpha_t
 * [z_t^k = x^k] + (1 − alpha_t)/V at the free positions, alpha_t = exp(−sigma) from the sigma the
 * network is given (Duo conditions on sigma = −log alpha_t, spec §1.3).
 *
 * <p><b>Which x_θ is exact.</b> Duo's reverse step plugs x_θ into q(z_s | z_t, x) (spec §3.1), a
 * ratio of functions linear in x, so the posterior mean E[x^l | z_t] is <i>not</i> the right input:
 * the exact per-position reverse marginal is
 *
 * <pre>
 * q(z_s^l | z_t) = q(z_t^l | z_s^l) q(z_s^l | z_t^{−l}) / q(z_t^l | z_t^{−l}),
 * q(z_s^l | z_t^{−l}) = alpha_s x̃^l + (1 − alpha_s)/V,   x̃^l = p(x^l | z_t^{−l}, given)
 * </pre>
 *
 * (z_t^l depends on the rest only through z_s^l, and z_s^l on z_t^{−l} only through x^l), which is
 * exactly q(z_s | z_t, x) at x = x̃^l: the posterior of x^l given every <i>other</i> position,
 * leaving out the position's own noisy token. This x̃ is also the minimiser of the Duo NELBO (its
 * reverse rates are then the true ones; for i.i.d. uniform data it is the constant uniform x_θ,
 * {@link TestNets#constant}). {@link Kind#LEAVE_ONE_OUT} returns it; {@link Kind#POSTERIOR_MEAN}
 * returns E[x^l | z_t, given] (own likelihood included), which the tests use to show that the check
 * has power (it is far off: total variation about 0.18 at T = 256 on the chain below).
 *
 * <p>At given positions x_θ is the one-hot of the given id (logits log 1e-300 elsewhere); the
 * sampler does not read them. Results are memoised per (row, sigma): at most V^L distinct rows.
 */
final class MarkovOracle implements Denoiser {
  /** Which conditional the network returns. */
  enum Kind {
    LEAVE_ONE_OUT,
    POSTERIOR_MEAN
  }

  static final int V = 3;
  static final double[] INITIAL = {0.5, 0.3, 0.2};
  static final double[][] TRANSITION = {{0.6, 0.3, 0.1}, {0.2, 0.5, 0.3}, {0.25, 0.25, 0.5}};

  final int length;
  final boolean[] givenAt;
  final Kind kind;
  final int[][] sequences;
  final double[] prob;
  private final Map<String, float[]> memo = new HashMap<>();
  int rowsComputed;

  /**
   * @param givenAt {@code [L]}: the positions given in every row (their ids are taken from z_t)
   */
  MarkovOracle(boolean[] givenAt, Kind kind) {
    this.length = givenAt.length;
    this.givenAt = givenAt.clone();
    this.kind = kind;
    int n = (int) Math.pow(V, length);
    sequences = new int[n][length];
    prob = new double[n];
    for (int s = 0; s < n; s++) {
      int rest = s;
      for (int l = length - 1; l >= 0; l--) {
        sequences[s][l] = rest % V;
        rest /= V;
      }
      prob[s] = probability(sequences[s]);
    }
  }

  /** p(x) of the chain. */
  static double probability(int[] x) {
    double p = INITIAL[x[0]];
    for (int l = 1; l < x.length; l++) {
      p *= TRANSITION[x[l - 1]][x[l]];
    }
    return p;
  }

  /**
   * The exact conditional law of the free positions given the ids at the given ones: {@code [V^F]}
   * indexed by the free ids read as base-V digits, left to right.
   */
  double[] conditional(int[] givenIds) {
    double[] out = new double[cells()];
    double total = 0;
    for (int s = 0; s < sequences.length; s++) {
      if (matches(sequences[s], givenIds)) {
        out[freeIndex(sequences[s])] += prob[s];
        total += prob[s];
      }
    }
    for (int k = 0; k < out.length; k++) {
      out[k] /= total;
    }
    return out;
  }

  /** The law of the free positions with no conditioning (the power check's wrong answer). */
  double[] freeMarginal() {
    double[] out = new double[cells()];
    for (int s = 0; s < sequences.length; s++) {
      out[freeIndex(sequences[s])] += prob[s];
    }
    return out;
  }

  /** V^F, F = the number of free positions. */
  int cells() {
    int n = 1;
    for (boolean g : givenAt) {
      n *= g ? 1 : V;
    }
    return n;
  }

  boolean matches(int[] x, int[] givenIds) {
    for (int l = 0; l < length; l++) {
      if (givenAt[l] && x[l] != givenIds[l]) {
        return false;
      }
    }
    return true;
  }

  /** The free ids of {@code x} as one base-V number, left to right. */
  int freeIndex(int[] x) {
    int k = 0;
    for (int l = 0; l < length; l++) {
      if (!givenAt[l]) {
        k = k * V + x[l];
      }
    }
    return k;
  }

  @Override
  public int vocabSize() {
    return V;
  }

  @Override
  public synchronized Logits forward(TokenBatch tokens, float[] sigma) {
    if (tokens.length() != length) {
      throw new IllegalArgumentException("oracle of length " + length + ", got " + tokens.length());
    }
    float[] out = new float[tokens.batch() * length * V];
    for (int b = 0; b < tokens.batch(); b++) {
      int[] z = Arrays.copyOfRange(tokens.ids(), b * length, (b + 1) * length);
      String key = Arrays.toString(z) + "@" + Float.floatToIntBits(sigma[b]);
      double alpha = Math.exp(-(double) sigma[b]);
      float[] row = memo.computeIfAbsent(key, k -> logits(z, alpha));
      System.arraycopy(row, 0, out, b * length * V, length * V);
    }
    return new Logits(out, tokens.batch(), length, V);
  }

  /** log x_θ {@code [L, V]} for one row z_t at alpha. */
  float[] logits(int[] z, double alpha) {
    rowsComputed++;
    double[] x = probabilities(z, alpha);
    float[] out = new float[length * V];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) Math.log(Math.max(x[i], 1e-300));
    }
    return out;
  }

  /** x_θ {@code [L, V]} in float64 for one row z_t at alpha. */
  double[] probabilities(int[] z, double alpha) {
    double[] x = new double[length * V];
    for (int l = 0; l < length; l++) {
      double total = 0;
      for (int s = 0; s < sequences.length; s++) {
        int[] seq = sequences[s];
        double w = prob[s];
        for (int k = 0; k < length && w > 0; k++) {
          if (givenAt[k]) {
            w = seq[k] == z[k] ? w : 0;
          } else if (k != l || kind == Kind.POSTERIOR_MEAN) {
            w *= alpha * (seq[k] == z[k] ? 1 : 0) + (1 - alpha) / V;
          }
        }
        x[l * V + seq[l]] += w;
        total += w;
      }
      for (int v = 0; v < V; v++) {
        x[l * V + v] /= total;
      }
    }
    return x;
  }
}
