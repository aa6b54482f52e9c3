package dev.dllm.api.sample;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.Optional;

/**
 * The exact block KV cache over any {@link Denoiser}: a second implementation of {@link
 * BlockKvCacheDecoder} with no speed-up, the oracle of Fast-dLLM's approximation (issue 20). A
 * refresh is a full forward and keeps the rows; a slice writes its real tokens into them and runs
 * the full forward again at the slice's sigma, returning the slice positions' logits. So a sampler
 * over it must give exactly the samples of its {@code cache=none} path. Each slice is checked to
 * have the shape of its mode: {@link BlockCache#DUAL}: the hidden cached keys are exactly the real
 * slots' positions; {@link BlockCache#PREFIX}: the slots cover [s, L) for the row's first slot
 * position s and the cached keys below s are the visible ones; {@link BlockCache#NONE}: any shape
 * (no check).
 */
public final class RecomputingBlockKvCache implements BlockKvCacheDecoder {
  private final Denoiser inner;
  private final boolean dual;
  private final boolean checked;
  private int[] rows;
  private int batch;
  private int length;
  private int refreshes;
  private int slices;

  /**
   * @param inner the denoiser every forward goes to
   * @param mode the slice shape to check: {@link BlockCache#PREFIX}, {@link BlockCache#DUAL}, or
   *     {@link BlockCache#NONE} for no check
   */
  public RecomputingBlockKvCache(Denoiser inner, BlockCache mode) {
    this.inner = inner;
    this.dual = mode == BlockCache.DUAL;
    this.checked = mode != BlockCache.NONE;
  }

  /** A denoiser that forwards to {@code inner} and offers {@code cache} as its block KV cache. */
  public static Denoiser offering(Denoiser inner, BlockKvCacheDecoder cache) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return inner.vocabSize();
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        return inner.forward(tokens, sigma);
      }

      @Override
      public Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
        return Optional.of(cache);
      }
    };
  }

  /** Full forwards run by {@link #refresh}. */
  public int refreshes() {
    return refreshes;
  }

  /** Slices answered. */
  public int slices() {
    return slices;
  }

  @Override
  public Logits refresh(TokenBatch tokens, float[] sigma) {
    refreshes++;
    rows = tokens.ids().clone();
    batch = tokens.batch();
    length = tokens.length();
    return inner.forward(tokens, sigma);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the slice's visibility is not that of the mode
   */
  @Override
  public Logits slice(int[] tokens, int[] positions, int width, boolean[] visible, float[] sigma) {
    if (rows == null) {
      throw new IllegalStateException("slice before the first refresh");
    }
    slices++;
    int[] x = rows.clone();
    for (int b = 0; b < batch; b++) {
      int o = b * (length + width);
      boolean[] inSlice = new boolean[length];
      int first = length;
      for (int j = 0; j < width; j++) {
        if (visible[o + length + j]) {
          int p = positions[b * width + j];
          inSlice[p] = true;
          first = Math.min(first, p);
          x[b * length + p] = tokens[b * width + j];
        }
      }
      for (int l = 0; l < length; l++) {
        boolean want = dual ? !inSlice[l] : l < first;
        boolean wrong = want != visible[o + l] || (!dual && l >= first && !inSlice[l]);
        if (checked && wrong) {
          throw new IllegalArgumentException(
              (dual ? "dual" : "prefix")
                  + " slice of row "
                  + b
                  + ": cached key "
                  + l
                  + " is "
                  + (visible[o + l] ? "visible" : "hidden")
                  + (inSlice[l] ? " and in the slice" : " and not in the slice"));
        }
      }
    }
    Logits full = inner.forward(new TokenBatch(x, batch, length), sigma);
    int v = full.vocab();
    float[] out = new float[batch * width * v];
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < width; j++) {
        System.arraycopy(
            full.values(), full.offset(b, positions[b * width + j]), out, (b * width + j) * v, v);
      }
    }
    return new Logits(out, batch, width, v);
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
