package dev.dllm.family.esolm;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exact tiny model for oracle tests: a first-order Markov chain over {0, 1, 2} of length L (the
 * mask is id 3, V = 4), and a denoiser whose output at every query is the exact posterior marginal
 * p(x_pos | the clean tokens the query may attend), by enumeration of the 3^L sequences. It honours
 * any {@link AttentionLayout} (sorted-causal or an explicit mask, so both Eso-LM branches) and
 * offers an exact {@link WindowKvCacheDecoder} (committed clean tokens plus, causally, the window),
 * so it serves the sampler with and without the KV cache and the float64 NELBO.
 */
final class MarkovOracle implements Denoiser {
  static final int V = 4;
  static final int MASK = 3;
  static final int STATES = 3;
  static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, -1, MASK);

  private static final double[] START = {0.5, 0.3, 0.2};
  private static final double[][] MOVE = {
    {0.6, 0.25, 0.15},
    {0.15, 0.6, 0.25},
    {0.25, 0.15, 0.6},
  };

  final int length;
  private final double[] joint;
  private final Map<Long, float[]> memo = new ConcurrentHashMap<>();

  /** Window calls and their (W, commit), for cost checks. */
  final List<int[]> windowCalls = new ArrayList<>();

  final AtomicInteger forwards = new AtomicInteger();

  MarkovOracle(int length) {
    this.length = length;
    int n = (int) Math.pow(STATES, length);
    joint = new double[n];
    for (int code = 0; code < n; code++) {
      int[] x = decode(code);
      double p = START[x[0]];
      for (int l = 1; l < length; l++) {
        p *= MOVE[x[l - 1]][x[l]];
      }
      joint[code] = p;
    }
  }

  int[] decode(int code) {
    int[] x = new int[length];
    for (int l = length - 1; l >= 0; l--) {
      x[l] = code % STATES;
      code /= STATES;
    }
    return x;
  }

  /** p(x) of a clean sequence. */
  double prob(int[] x) {
    int code = 0;
    for (int v : x) {
      code = code * STATES + v;
    }
    return joint[code];
  }

  /**
   * The exact conditional of the free positions of one row: entry c is p(free positions = the c-th
   * assignment | given), assignments in the order of {@link #cell}.
   */
  double[] conditional(Conditioning given, int b) {
    int free = length - given.givenCount(b);
    double[] p = new double[(int) Math.pow(STATES, free)];
    double z = 0;
    for (int code = 0; code < joint.length; code++) {
      int[] x = decode(code);
      if (consistent(x, given, b)) {
        p[cell(x, given, b)] += joint[code];
        z += joint[code];
      }
    }
    for (int c = 0; c < p.length; c++) {
      p[c] /= z;
    }
    return p;
  }

  /** The cell of a full row: its free positions' values read as a base-3 number, left to right. */
  static int cell(int[] x, Conditioning given, int b) {
    int c = 0;
    for (int l = 0; l < x.length; l++) {
      if (!given.isGiven(b, l)) {
        c = c * STATES + x[l];
      }
    }
    return c;
  }

  private static boolean consistent(int[] x, Conditioning given, int b) {
    for (int l = 0; l < x.length; l++) {
      if (given.isGiven(b, l) && given.id(b, l) != x[l]) {
        return false;
      }
    }
    return true;
  }

  /** Log marginals at {@code target} given {@code known[l]} (−1 = unknown), mask logit −30. */
  private float[] marginal(int[] known, int target) {
    long key = target;
    for (int k : known) {
      key = key * 4 + (k + 1);
    }
    return memo.computeIfAbsent(
        key,
        unused -> {
          double[] m = new double[STATES];
          for (int code = 0; code < joint.length; code++) {
            int[] x = decode(code);
            boolean ok = true;
            for (int l = 0; l < length && ok; l++) {
              ok = known[l] < 0 || known[l] == x[l];
            }
            if (ok) {
              m[x[target]] += joint[code];
            }
          }
          double z = m[0] + m[1] + m[2];
          float[] out = new float[V];
          for (int v = 0; v < STATES; v++) {
            out[v] = (float) Math.log(m[v] / z);
          }
          out[MASK] = -30f;
          return out;
        });
  }

  private static void know(int[] known, int pos, int token) {
    if (token == MASK) {
      return;
    }
    if (token < 0 || token >= STATES) {
      throw new IllegalArgumentException("token " + token + " is not a state");
    }
    if (known[pos] >= 0 && known[pos] != token) {
      throw new IllegalStateException("position " + pos + " seen as two different tokens");
    }
    known[pos] = token;
  }

  @Override
  public int vocabSize() {
    return V;
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    throw new UnsupportedOperationException("the oracle needs a layout");
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    forwards.incrementAndGet();
    int batch = tokens.batch();
    int n = tokens.length();
    float[] out = new float[batch * n * V];
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < n; q++) {
        int[] known = new int[length];
        java.util.Arrays.fill(known, -1);
        for (int k = 0; k < n; k++) {
          if (layout.allowed(b, q, k)) {
            know(known, layout.position(b, k), tokens.get(b, k));
          }
        }
        System.arraycopy(marginal(known, layout.position(b, q)), 0, out, (b * n + q) * V, V);
      }
    }
    return new Logits(out, batch, n, V);
  }

  @Override
  public boolean supportsLayout() {
    return true;
  }

  @Override
  public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
    List<List<int[]>> cache = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      cache.add(new ArrayList<>());
    }
    return Optional.of(
        new WindowKvCacheDecoder() {
          private int cached;

          @Override
          public Logits step(int[] tokens, int[] positions, int window, int commit) {
            synchronized (windowCalls) {
              windowCalls.add(new int[] {batch, window, commit});
            }
            float[] out = new float[batch * window * V];
            for (int b = 0; b < batch; b++) {
              int[] base = new int[length];
              java.util.Arrays.fill(base, -1);
              for (int[] c : cache.get(b)) {
                know(base, c[0], c[1]);
              }
              for (int q = 0; q < window; q++) {
                int[] known = base.clone();
                for (int k = 0; k <= q; k++) {
                  know(known, positions[b * window + k], tokens[b * window + k]);
                }
                System.arraycopy(
                    marginal(known, positions[b * window + q]), 0, out, (b * window + q) * V, V);
              }
              for (int k = 0; k < commit; k++) {
                cache.get(b).add(new int[] {positions[b * window + k], tokens[b * window + k]});
              }
            }
            cached += commit;
            return new Logits(out, batch, window, V);
          }

          @Override
          public int cached() {
            return cached;
          }

          @Override
          public void close() {}
        });
  }
}
