package dev.dllm.family.duo;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small test networks for the Duo family. */
final class TestNets {
  private TestNets() {}

  /**
   * A deterministic pseudo-random bidirectional, time-conditioned network: the logits of a row are
   * a hash of the row's tokens, its sigma and the position; the mask logit (when mask &gt;= 0) is
   * large, so it must be suppressed. Records inputs and sigmas.
   */
  static final class Recording implements Denoiser {
    final int vocab;
    final int mask;
    final List<TokenBatch> inputs = new ArrayList<>();
    final List<float[]> sigmas = new ArrayList<>();
    final List<Logits> outputs = new ArrayList<>();

    Recording(int vocab, int mask) {
      this.vocab = vocab;
      this.mask = mask;
    }

    @Override
    public int vocabSize() {
      return vocab;
    }

    @Override
    public synchronized Logits forward(TokenBatch tokens, float[] sigma) {
      inputs.add(new TokenBatch(tokens.ids().clone(), tokens.batch(), tokens.length()));
      sigmas.add(sigma == null ? null : sigma.clone());
      int len = tokens.length();
      float[] out = new float[tokens.ids().length * vocab];
      for (int b = 0; b < tokens.batch(); b++) {
        long h = 17 + (sigma == null ? 0 : Float.floatToIntBits(sigma[b]));
        for (int l = 0; l < len; l++) {
          h = h * 31 + tokens.get(b, l);
        }
        for (int l = 0; l < len; l++) {
          SplittableRandom r = new SplittableRandom(h * 1009 + l);
          for (int v = 0; v < vocab; v++) {
            out[(b * len + l) * vocab + v] = (float) (2 * r.nextGaussian());
          }
          if (mask >= 0) {
            out[(b * len + l) * vocab + mask] = 10f;
          }
        }
      }
      Logits logits = new Logits(out, tokens.batch(), len, vocab);
      outputs.add(logits);
      return logits;
    }
  }

  /**
   * The posterior mean E[x | z_t] for i.i.d. uniform data over V ids: x_θ(v | z_t) = alpha [v =
   * z_t] + (1 − alpha)/V with alpha = exp(−sigma). Not the optimum of the Duo NELBO: the posterior
   * q(z_s | z_t, x) is a ratio of linear functions of x, and the true reverse step is that ratio at
   * the data mean (here uniform, {@link #constant}).
   */
  static Denoiser posteriorMean(int vocab) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        float[] out = new float[tokens.ids().length * vocab];
        for (int b = 0; b < tokens.batch(); b++) {
          double alpha = Math.exp(-sigma[b]);
          for (int l = 0; l < tokens.length(); l++) {
            int i = b * tokens.length() + l;
            for (int v = 0; v < vocab; v++) {
              double p = (1 - alpha) / vocab + (v == tokens.ids()[i] ? alpha : 0);
              out[i * vocab + v] = (float) Math.log(p);
            }
          }
        }
        return new Logits(out, tokens.batch(), tokens.length(), vocab);
      }
    };
  }

  /**
   * Constant logits (uniform x_θ): the exact reverse process for i.i.d. uniform data (q(z_s | z_t)
   * = q(z_s | z_t, x = data mean)).
   */
  static Denoiser constant(int vocab) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        return new Logits(
            new float[tokens.ids().length * vocab], tokens.batch(), tokens.length(), vocab);
      }
    };
  }
}
