package dev.dllm.family.mdlm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import org.hipparchus.distribution.continuous.ChiSquaredDistribution;

/**
 * A tiny language whose every conditional is known exactly: a stationary first-order Markov chain
 * over 3 real tokens (ids 0, 1, 3; the MASK id is 2, not V − 1), V = 4. {@link #denoiser(int)} is
 * the exact MDLM denoiser of its length-L windows: at every masked position it returns log p(x_l |
 * the visible tokens of the row), computed by enumerating all 3^L sequences (cached per distinct
 * input row, at most 4^L of them); the raw MASK logit is large and must be suppressed by the
 * sampler. {@link #conditional} is the exact distribution of the free positions of a conditioning
 * under the chain of any length, by the same enumeration.
 */
final class MarkovOracle {
  static final int MASK = 2;
  static final int V = 4;
  static final int[] REAL = {0, 1, 3};
  static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, -1, MASK);

  /** Transition matrix over real-token indices (rows sum to 1). */
  static final double[][] P = {{0.6, 0.3, 0.1}, {0.2, 0.5, 0.3}, {0.3, 0.2, 0.5}};

  /** Stationary distribution of {@link #P} (power iteration), so windows at any offset agree. */
  static final double[] PI = stationary();

  private MarkovOracle() {}

  private static double[] stationary() {
    double[] pi = {1 / 3.0, 1 / 3.0, 1 / 3.0};
    for (int it = 0; it < 10_000; it++) {
      double[] next = new double[3];
      for (int a = 0; a < 3; a++) {
        for (int c = 0; c < 3; c++) {
          next[c] += pi[a] * P[a][c];
        }
      }
      pi = next;
    }
    return pi;
  }

  /** Index 0..2 of a real token id, or -1 for the mask (or anything else). */
  static int index(int id) {
    for (int i = 0; i < REAL.length; i++) {
      if (REAL[i] == id) {
        return i;
      }
    }
    return -1;
  }

  /** p(s) of a sequence of real-token indices under the stationary chain. */
  static double prob(int[] s) {
    double p = PI[s[0]];
    for (int l = 1; l < s.length; l++) {
      p *= P[s[l - 1]][s[l]];
    }
    return p;
  }

  /** The real-token-index sequence number {@code code} (base 3, position 0 most significant). */
  static int[] decode(int code, int length) {
    int[] s = new int[length];
    for (int l = length - 1; l >= 0; l--) {
      s[l] = code % 3;
      code /= 3;
    }
    return s;
  }

  static int pow3(int n) {
    int p = 1;
    for (int i = 0; i < n; i++) {
      p *= 3;
    }
    return p;
  }

  /**
   * Exact p(x_free | x_given) of row 0 of {@code given} under the chain of length {@code
   * given.length()}, over the 3^F outcomes of its F free positions (base-3 code of their real-token
   * indices, in position order; see {@link #outcome}).
   */
  static double[] conditional(Conditioning given) {
    int length = given.length();
    int[] free = freePositions(given);
    double[] p = new double[pow3(free.length)];
    double total = 0;
    for (int code = 0; code < pow3(length); code++) {
      int[] s = decode(code, length);
      boolean consistent = true;
      for (int l = 0; l < length && consistent; l++) {
        consistent = !given.isGiven(0, l) || REAL[s[l]] == given.id(0, l);
      }
      if (consistent) {
        double q = prob(s);
        int o = 0;
        for (int l : free) {
          o = o * 3 + s[l];
        }
        p[o] += q;
        total += q;
      }
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  /** Exact p(x) of token ids {@code x} (all real) under the chain. */
  static double probOfIds(int[] x) {
    int[] s = new int[x.length];
    for (int l = 0; l < x.length; l++) {
      s[l] = index(x[l]);
    }
    return prob(s);
  }

  static int[] freePositions(Conditioning given) {
    return java.util.stream.IntStream.range(0, given.length())
        .filter(l -> !given.isGiven(0, l))
        .toArray();
  }

  /** Base-3 code of row b's tokens at {@code free} (as {@link #conditional} numbers outcomes). */
  static int outcome(TokenBatch x, int b, int[] free) {
    int o = 0;
    for (int l : free) {
      int i = index(x.get(b, l));
      if (i < 0) {
        throw new AssertionError("row " + b + " has id " + x.get(b, l) + " at " + l);
      }
      o = o * 3 + i;
    }
    return o;
  }

  /**
   * Pearson chi-square p-value of {@code counts} against {@code p} (bins with expected count below
   * 5 pooled into one), from the chi-square tail of Hipparchus.
   */
  static double chiSquarePValue(long[] counts, double[] p) {
    long n = Arrays.stream(counts).sum();
    double stat = 0;
    int bins = 0;
    double pooledExpected = 0;
    long pooledObserved = 0;
    for (int i = 0; i < p.length; i++) {
      double e = n * p[i];
      if (e < 5) {
        pooledExpected += e;
        pooledObserved += counts[i];
      } else {
        stat += (counts[i] - e) * (counts[i] - e) / e;
        bins++;
      }
    }
    if (pooledExpected > 0) {
      if (pooledExpected < 1e-12 && pooledObserved > 0) {
        return 0; // an impossible outcome was drawn
      }
      stat +=
          (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
      bins++;
    }
    return 1 - new ChiSquaredDistribution(bins - 1).cumulativeProbability(stat);
  }

  /** Counts of the outcomes at the free positions of row 0 of {@code given}, over all rows. */
  static long[] counts(TokenBatch x, Conditioning given) {
    int[] free = freePositions(given.row(0));
    long[] c = new long[pow3(free.length)];
    for (int b = 0; b < x.batch(); b++) {
      c[outcome(x, b, free)]++;
    }
    return c;
  }

  /** The exact denoiser of the chain's windows of length {@code length}; counts its forwards. */
  static Exact denoiser(int length) {
    return new Exact(length);
  }

  static final class Exact implements Denoiser {
    final int length;
    int forwards;
    private final float[][] memo;

    Exact(int length) {
      this.length = length;
      int rows = 1;
      for (int i = 0; i < length; i++) {
        rows *= V;
      }
      memo = new float[rows][];
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      if (tokens.length() != length) {
        throw new IllegalArgumentException("oracle of windows of " + length + ", got " + tokens);
      }
      forwards++;
      float[] out = new float[tokens.ids().length * V];
      int[] row = new int[length];
      for (int b = 0; b < tokens.batch(); b++) {
        int key = 0;
        for (int l = 0; l < length; l++) {
          row[l] = tokens.get(b, l);
          key = key * V + row[l];
        }
        if (memo[key] == null) {
          memo[key] = logits(row);
        }
        System.arraycopy(memo[key], 0, out, b * length * V, length * V);
      }
      return new Logits(out, tokens.batch(), length, V);
    }

    /** log p(x_l = v | visible tokens of the row) at masked l; one-hot logits elsewhere. */
    private float[] logits(int[] row) {
      double[][] marginal = new double[length][3];
      for (int code = 0; code < pow3(length); code++) {
        int[] s = decode(code, length);
        boolean consistent = true;
        for (int l = 0; l < length && consistent; l++) {
          if (row[l] != MASK) {
            int i = index(row[l]);
            if (i < 0) {
              throw new IllegalArgumentException("oracle input holds id " + row[l]);
            }
            consistent = i == s[l];
          }
        }
        if (consistent) {
          double q = prob(s);
          for (int l = 0; l < length; l++) {
            marginal[l][s[l]] += q;
          }
        }
      }
      float[] out = new float[length * V];
      for (int l = 0; l < length; l++) {
        int o = l * V;
        if (row[l] != MASK) {
          Arrays.fill(out, o, o + V, -30f);
          out[o + row[l]] = 0f;
          continue;
        }
        double z = marginal[l][0] + marginal[l][1] + marginal[l][2];
        for (int i = 0; i < 3; i++) {
          out[o + REAL[i]] = (float) Math.log(marginal[l][i] / z);
        }
        out[o + MASK] = 8f; // must be suppressed (SUBS: p(mask) = 0)
      }
      return out;
    }
  }
}
