package dev.dllm.cli.bench;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.RecomputingBlockKvCache;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The approximation error of a block KV cache inside a block (issue 20), measured on the decoding
 * trajectory itself: it wraps a {@link BlockKvCacheDecoder} and, after every slice step, runs the
 * full forward of the current tokens (the refreshed rows with the slice's tokens written in, {@link
 * RecomputingBlockKvCache}; so every refresh runs twice) and compares, at every slice position that
 * still holds MASK (the positions the sampler reads; for a uniform-state chain such as Duo's, whose
 * z_t holds no MASK, at every real slot of the slice, the block's committed positions included),
 * the cached logits with the full ones: max_v |Δlogit| (v ≠ MASK), KL(p_full ‖ p_cached) in nats
 * with p the float64 softmax without the MASK entry (as the samplers read it), and whether both
 * argmaxes agree. The sampler sees the cached logits, so the trajectory is the cached sampler's.
 * Not thread-safe (one sampler at a time).
 */
final class BlockCacheProbe implements BlockKvCacheDecoder {
  private final BlockKvCacheDecoder inner;
  private final RecomputingBlockKvCache exactCache;
  private final int mask;
  private long positions;
  private long agree;
  private double maxAbs;
  private double maxKl;
  private double sumKl;
  private long slices;
  private long refreshes;

  BlockCacheProbe(BlockKvCacheDecoder inner, Denoiser full, int mask) {
    this.inner = inner;
    this.exactCache = new RecomputingBlockKvCache(full, BlockCache.NONE);
    this.mask = mask;
  }

  /** {@code denoiser} whose block cache is this probe over its own. */
  Denoiser wrap(Denoiser denoiser) {
    return RecomputingBlockKvCache.offering(denoiser, this);
  }

  @Override
  public Logits refresh(TokenBatch tokens, float[] sigma) {
    refreshes++;
    exactCache.refresh(tokens, sigma);
    return inner.refresh(tokens, sigma);
  }

  @Override
  public Logits slice(int[] tokens, int[] pos, int width, boolean[] visible, float[] sigma) {
    Logits cached = inner.slice(tokens, pos, width, visible, sigma);
    slices++;
    Logits exact = exactCache.slice(tokens, pos, width, visible, sigma);
    int batch = inner.batch();
    int length = inner.length();
    boolean uniformState = true; // no MASK in the whole slice: compare every real slot
    for (int id : tokens) {
      uniformState &= id != mask;
    }
    int v = exact.vocab();
    double[] p = new double[v];
    double[] q = new double[v];
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < width; s++) {
        boolean read = uniformState || tokens[b * width + s] == mask;
        if (!visible[b * (length + width) + length + s] || !read) {
          continue;
        }
        int fo = exact.offset(b, s);
        int co = cached.offset(b, s);
        MaskedSoftmax.softmax(exact.values(), fo, v, mask, p);
        MaskedSoftmax.softmax(cached.values(), co, v, mask, q);
        double kl = 0;
        int af = -1;
        int ac = -1;
        for (int u = 0; u < v; u++) {
          if (u == mask) {
            continue;
          }
          maxAbs = Math.max(maxAbs, Math.abs(exact.values()[fo + u] - cached.values()[co + u]));
          if (p[u] > 0) {
            kl += p[u] * Math.log(p[u] / Math.max(q[u], Double.MIN_NORMAL));
          }
          af = af < 0 || p[u] > p[af] ? u : af;
          ac = ac < 0 || q[u] > q[ac] ? u : ac;
        }
        maxKl = Math.max(maxKl, kl);
        sumKl += kl;
        agree += af == ac ? 1 : 0;
        positions++;
      }
    }
    return cached;
  }

  /**
   * full_forwards, slice_forwards, compared_positions, max_abs_logit_diff, kl_mean_nats,
   * kl_max_nats, top1_agreement.
   */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("full_forwards", refreshes);
    m.put("slice_forwards", slices);
    m.put("compared_positions", positions);
    m.put("max_abs_logit_diff", maxAbs);
    m.put("kl_mean_nats", positions == 0 ? 0.0 : sumKl / positions);
    m.put("kl_max_nats", maxKl);
    m.put("top1_agreement", positions == 0 ? 1.0 : (double) agree / positions);
    return m;
  }

  @Override
  public int batch() {
    return inner.batch();
  }

  @Override
  public int length() {
    return inner.length();
  }

  @Override
  public void close() {
    inner.close();
  }
}
