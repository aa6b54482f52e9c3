package dev.dllm.family.duo;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A block KV decoder that honours key visibility exactly (a second implementation for the tests of
 * {@link DuoBlockChain}): the logits of a query depend only on the (position, token) pairs of the
 * keys visible to it and on the row's sigma, through a hash (or, with fixed logits, on nothing). A
 * cached key holds the token of the last refresh, so a sampler whose tokens outside the slice did
 * not change since the refresh gets exactly what an uncached forward over the same visible set
 * would give. Records the visible tokens and sigma of every row of every slice.
 */
final class VisibleKeysDecoder implements BlockKvCacheDecoder {
  final int vocab;
  final int mask;
  final double[] fixed; // per position logit of token 4 + l % 4, or null for the hash
  int[] rows;
  int batch;
  int length;
  int refreshes;
  int slices;
  final List<int[]> seen = new ArrayList<>(); // per forward row: [L] visible token, −1 hidden
  final List<Float> sigmas = new ArrayList<>();

  VisibleKeysDecoder(int vocab, int mask, double[] fixed) {
    this.vocab = vocab;
    this.mask = mask;
    this.fixed = fixed;
  }

  /** A denoiser offering this decoder; its plain forward sees every position. */
  Denoiser denoiser() {
    VisibleKeysDecoder self = this;
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public Logits forward(TokenBatch t, float[] sigma) {
        int n = t.batch() * t.length();
        int[] positions = new int[n];
        boolean[] visible = new boolean[t.batch() * 2 * t.length()];
        for (int b = 0; b < t.batch(); b++) {
          for (int l = 0; l < t.length(); l++) {
            positions[b * t.length() + l] = l;
            visible[b * 2 * t.length() + t.length() + l] = true;
          }
        }
        return logits(t.ids(), positions, t.batch(), t.length(), t.length(), visible, null, sigma);
      }

      @Override
      public Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
        return Optional.of(self);
      }
    };
  }

  @Override
  public Logits refresh(TokenBatch tokens, float[] sigma) {
    refreshes++;
    rows = tokens.ids().clone();
    batch = tokens.batch();
    length = tokens.length();
    return denoiser().forward(tokens, sigma);
  }

  @Override
  public Logits slice(int[] tokens, int[] positions, int width, boolean[] visible, float[] sigma) {
    if (rows == null) {
      throw new IllegalStateException("slice before the first refresh");
    }
    slices++;
    return logits(tokens, positions, batch, width, length, visible, rows, sigma);
  }

  private Logits logits(
      int[] tokens,
      int[] positions,
      int b0,
      int width,
      int len,
      boolean[] visible,
      int[] cached,
      float[] sigma) {
    float[] out = new float[b0 * width * vocab];
    for (int b = 0; b < b0; b++) {
      int o = b * (len + width);
      int[] at = new int[len]; // token per visible position, −1 hidden
      java.util.Arrays.fill(at, -1);
      for (int l = 0; l < len && cached != null; l++) {
        if (visible[o + l]) {
          at[l] = cached[b * len + l];
        }
      }
      for (int j = 0; j < width; j++) {
        if (visible[o + len + j]) {
          at[positions[b * width + j]] = tokens[b * width + j];
        }
      }
      long h = 17 + (sigma == null ? 0 : Float.floatToIntBits(sigma[b]));
      for (int l = 0; l < len; l++) {
        h = h * 31 + (at[l] + 1) * 1_000_003L + l;
      }
      synchronized (this) {
        seen.add(at);
        sigmas.add(sigma == null ? 0f : sigma[b]);
      }
      for (int j = 0; j < width; j++) {
        int p = positions[b * width + j];
        int q = (b * width + j) * vocab;
        if (fixed != null) {
          out[q + 4 + p % 4] = (float) fixed[p];
        } else {
          SplittableRandom r = new SplittableRandom(h * 1009 + p);
          for (int v = 0; v < vocab; v++) {
            out[q + v] = (float) (2 * r.nextGaussian());
          }
        }
        if (mask >= 0) {
          out[q + mask] = 40f;
        }
      }
    }
    return new Logits(out, b0, width, vocab);
  }

  @Override
  public int batch() {
    return batch;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public void close() {}
}
