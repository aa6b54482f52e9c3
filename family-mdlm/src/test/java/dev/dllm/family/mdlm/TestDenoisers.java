package dev.dllm.family.mdlm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small test networks for the MDLM family (public for the tests of {@code .train}). */
public final class TestDenoisers {
  private TestDenoisers() {}

  /** Uniform logits over every id except the mask, whose raw logit is huge (must be suppressed). */
  static Denoiser uniform(int vocab, int mask) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        float[] out = new float[tokens.ids().length * vocab];
        for (int i = 0; i < tokens.ids().length; i++) {
          out[i * vocab + mask] = 30f;
        }
        return new Logits(out, tokens.batch(), tokens.length(), vocab);
      }
    };
  }

  /** Returns the same logits whatever the input (conformance tests). */
  public static Denoiser fixed(Logits logits) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return logits.vocab();
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        return logits;
      }
    };
  }

  /**
   * A deterministic pseudo-random bidirectional network: the logits of a row are a hash of the
   * whole row's tokens and the position; the mask logit is large. Records every input row.
   */
  static final class Recording implements Denoiser {
    final int vocab;
    final int mask;
    final List<TokenBatch> inputs = new ArrayList<>();

    Recording(int vocab, int mask) {
      this.vocab = vocab;
      this.mask = mask;
    }

    @Override
    public int vocabSize() {
      return vocab;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      inputs.add(new TokenBatch(tokens.ids().clone(), tokens.batch(), tokens.length()));
      int len = tokens.length();
      float[] out = new float[tokens.ids().length * vocab];
      for (int b = 0; b < tokens.batch(); b++) {
        long h = 17;
        for (int l = 0; l < len; l++) {
          h = h * 31 + tokens.get(b, l);
        }
        for (int l = 0; l < len; l++) {
          SplittableRandom r = new SplittableRandom(h * 1009 + l);
          for (int v = 0; v < vocab; v++) {
            out[(b * len + l) * vocab + v] = (float) (2 * r.nextGaussian());
          }
          out[(b * len + l) * vocab + mask] = 10f;
        }
      }
      return new Logits(out, tokens.batch(), len, vocab);
    }
  }

  /**
   * The exact denoiser for data {AAAA.., BBBB..} with p = 1/2 each (ids A = 0, B = 1, mask = 2):
   * any clean A (B) in the row makes every position A (B) with probability 1; an all-mask row gives
   * 1/2 each.
   */
  static Denoiser twoSequences() {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return 3;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        int len = tokens.length();
        float[] out = new float[tokens.ids().length * 3];
        for (int b = 0; b < tokens.batch(); b++) {
          boolean a = false;
          boolean bb = false;
          for (int l = 0; l < len; l++) {
            a |= tokens.get(b, l) == 0;
            bb |= tokens.get(b, l) == 1;
          }
          for (int l = 0; l < len; l++) {
            int o = (b * len + l) * 3;
            out[o] = bb && !a ? -1e4f : 0f;
            out[o + 1] = a && !bb ? -1e4f : 0f;
            out[o + 2] = 5f;
          }
        }
        return new Logits(out, tokens.batch(), len, 3);
      }
    };
  }
}
