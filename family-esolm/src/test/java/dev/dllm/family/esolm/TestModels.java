package dev.dllm.family.esolm;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Small models and fixtures for the Eso-LM tests. */
final class TestModels {
  /** V = 9 with the mask at id 8. */
  static final int V = 9;

  static final int MASK = 8;
  static final SpecialTokens SPECIALS = new SpecialTokens(-1, -1, -1, MASK);

  private TestModels() {}

  /** A tiny random DiT (d = 16, 2 blocks, 2 heads), float64 reference forward. */
  static ReferenceDit dit(Attention attention, long seed) {
    DitConfig cfg = new DitConfig(V, 16, 2, 2, 8, attention, 0.0);
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      for (int i = 0; i < n; i++) {
        d[i] = (float) (r.nextDouble() - 0.5);
      }
      m.put(e.getKey(), new Tensor(d, e.getValue()));
    }
    return new ReferenceDit(new DitWeights(cfg, m));
  }

  /** Random clean tokens in [0, MASK) {@code [B, L]}. */
  static int[] tokens(int batch, int length, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] x = new int[batch * length];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(MASK);
    }
    return x;
  }

  /**
   * Order-blind unigram model: the same logits at every position whatever the input, order,
   * positions or attention.
   */
  static final class Unigram implements Denoiser {
    final float[] table;

    Unigram(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      table = new float[V];
      for (int v = 0; v < V; v++) {
        table[v] = (float) (2 * r.nextDouble() - 1);
      }
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      float[] out = new float[tokens.batch() * tokens.length() * V];
      for (int i = 0; i < tokens.batch() * tokens.length(); i++) {
        System.arraycopy(table, 0, out, i * V, V);
      }
      return new Logits(out, tokens.batch(), tokens.length(), V);
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
      return forward(tokens, sigma);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }
  }

  /**
   * Logits depend only on the rotary position a token is fed with: {@code table[position][v]}.
   * Reveals which original position the family believes each fed token has.
   */
  static final class PositionTable implements Denoiser {
    final float[][] table;

    PositionTable(int length, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      table = new float[length][V];
      for (float[] row : table) {
        for (int v = 0; v < V; v++) {
          row[v] = (float) (3 * r.nextDouble() - 1.5);
        }
      }
    }

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      throw new UnsupportedOperationException("needs a layout");
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
      float[] out = new float[tokens.batch() * tokens.length() * V];
      for (int b = 0; b < tokens.batch(); b++) {
        for (int l = 0; l < tokens.length(); l++) {
          System.arraycopy(table[layout.position(b, l)], 0, out, (b * tokens.length() + l) * V, V);
        }
      }
      return new Logits(out, tokens.batch(), tokens.length(), V);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }
  }

  /** −log softmax(row with logit[MASK] = −1e6)[target], computed directly in float64. */
  static double nll(float[] row, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < V; v++) {
      if (v != MASK) {
        max = Math.max(max, row[v]);
      }
    }
    double z = 0;
    for (int v = 0; v < V; v++) {
      if (v != MASK) {
        z += Math.exp(row[v] - max);
      }
    }
    return -(row[target] - max - Math.log(z));
  }
}
