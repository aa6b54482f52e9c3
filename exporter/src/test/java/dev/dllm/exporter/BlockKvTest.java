package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The block KV graph of a bidirectional export (issue 20; MDLM and Duo, whose confidence decoding
 * feeds it per-row sigma) against the full graph of the same export: a refresh is the full forward
 * (≤ 1e-4), and a slice whose tokens are those of the refresh is exact too (dual cache: block
 * positions against cached prefix and suffix; prefix cache: block and suffix against the cached
 * prefix), with rows at different blocks and padded slots. After the block's tokens change, the
 * slice is Fast-dLLM's approximation: it differs from the full forward, which shows the cache is
 * used and not recomputed.
 */
class BlockKvTest {
  private static final double TOL = 1e-4;
  private static final int L = 16;
  private static final int B = 2;

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void refreshAndUnchangedSlicesEqualTheFullForward(String family) {
    DitConfig cfg = RandomDit.config(23, Attention.BIDIRECTIONAL);
    ExportMetadata md = TestModels.metadata(family, cfg, L);
    OnnxExport.write(RandomDit.weights(cfg, 5), md, tmp.resolve("m"));
    SplittableRandom r = new SplittableRandom(9);
    int[] x = new int[B * L];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(cfg.vocabSize());
    }
    float[] sigma = {0.3f, 1.7f};
    int v = cfg.vocabSize();
    try (OnnxModel m = OnnxModel.open(tmp.resolve("m"), OrtConfig.defaults());
        BlockKvCacheDecoder cache = m.denoiser().blockKvCacheDecoder().orElseThrow()) {
      assertFalse(m.denoiser().hasDecodeGraph(), "a block graph is not an AR/Eso-LM decode graph");
      assertTrue(m.denoiser().kvCacheDecoder(B).isEmpty());
      Logits full = m.denoiser().forward(new TokenBatch(x, B, L), sigma);
      Logits first = cache.refresh(new TokenBatch(x, B, L), sigma);
      assertEquals(B, cache.batch());
      assertEquals(L, cache.length());
      double d0 = ExportParityTest.maxAbsDiff(full.values(), first.values());
      assertTrue(d0 <= TOL, "refresh vs full forward: " + d0);
      assertTrue(ExportParityTest.spread(full.values()) > 0.1, "logits should vary");

      // dual cache: row 0 block [4, 8), row 1 block [8, 12), width 5 (one padded slot per row)
      int[] starts = {4, 8};
      int block = 4;
      int width = 5;
      Logits dual =
          cache.slice(
              sliceTokens(x, starts, width),
              slicePositions(starts, width),
              width,
              visible(starts, block, width, false),
              sigma);
      // prefix cache: rows feed [start, L), padded to the longer one
      int pw = L - starts[0];
      Logits prefix =
          cache.slice(
              sliceTokens(x, starts, pw),
              slicePositions(starts, pw),
              pw,
              visible(starts, L, pw, true),
              sigma);
      double dd = 0;
      double dp = 0;
      for (int b = 0; b < B; b++) {
        for (int s = 0; s < block; s++) {
          dd = Math.max(dd, rowDiff(full, b, starts[b] + s, dual, b, s, v));
        }
        for (int s = 0; starts[b] + s < L; s++) {
          dp = Math.max(dp, rowDiff(full, b, starts[b] + s, prefix, b, s, v));
        }
      }
      assertTrue(dd <= TOL, "dual-cache slice with unchanged tokens vs full forward: " + dd);
      assertTrue(dp <= TOL, "prefix-cache slice with unchanged tokens vs full forward: " + dp);

      // change the blocks' tokens: the slice keeps the stale K/V of the other positions
      int[] y = x.clone();
      for (int b = 0; b < B; b++) {
        for (int s = 0; s < block; s++) {
          y[b * L + starts[b] + s] = (x[b * L + starts[b] + s] + 1 + s) % v;
        }
      }
      Logits fullY = m.denoiser().forward(new TokenBatch(y, B, L), sigma);
      Logits approx =
          cache.slice(
              sliceTokens(y, starts, width),
              slicePositions(starts, width),
              width,
              visible(starts, block, width, false),
              sigma);
      double da = 0;
      for (int b = 0; b < B; b++) {
        for (int s = 0; s < block; s++) {
          da = Math.max(da, rowDiff(fullY, b, starts[b] + s, approx, b, s, v));
        }
      }
      assertTrue(da > 1e-3, "changed tokens outside the cache must show the approximation: " + da);
      assertTrue(Double.isFinite(da));
    }
  }

  @Test
  void sliceBeforeRefreshAndWrongShapesAreRefused() {
    DitConfig cfg = RandomDit.config(23, Attention.BIDIRECTIONAL);
    OnnxExport.write(
        RandomDit.weights(cfg, 5), TestModels.metadata("mdlm", cfg, L), tmp.resolve("m"));
    try (OnnxModel m = OnnxModel.open(tmp.resolve("m"), OrtConfig.defaults());
        BlockKvCacheDecoder cache = m.denoiser().blockKvCacheDecoder().orElseThrow()) {
      assertThrows(
          IllegalStateException.class,
          () -> cache.slice(new int[1], new int[1], 1, new boolean[L + 1], null));
      cache.refresh(new TokenBatch(new int[L], 1, L), null);
      assertThrows(
          dev.dllm.api.InvalidInputException.class,
          () -> cache.slice(new int[1], new int[] {L}, 1, new boolean[L + 1], null));
      assertThrows(
          dev.dllm.api.InvalidInputException.class,
          () -> cache.slice(new int[2], new int[2], 2, new boolean[L + 1], null));
    }
  }

  /** Row b feeds positions start_b .. start_b + width − 1, clipped to L − 1 (padding). */
  static int[] slicePositions(int[] starts, int width) {
    int[] p = new int[starts.length * width];
    for (int b = 0; b < starts.length; b++) {
      for (int s = 0; s < width; s++) {
        p[b * width + s] = Math.min(L - 1, starts[b] + s);
      }
    }
    return p;
  }

  static int[] sliceTokens(int[] x, int[] starts, int width) {
    int[] p = slicePositions(starts, width);
    int[] t = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      t[i] = x[(i / width) * L + p[i]];
    }
    return t;
  }

  /**
   * Keys visible to row b: cached positions outside [start_b, start_b + block) (prefix: below
   * start_b only) and the slice's real slots (those inside the block and below L).
   */
  static boolean[] visible(int[] starts, int block, int width, boolean prefixOnly) {
    boolean[] vis = new boolean[starts.length * (L + width)];
    for (int b = 0; b < starts.length; b++) {
      int o = b * (L + width);
      for (int l = 0; l < L; l++) {
        boolean inSlice = l >= starts[b] && l < starts[b] + block;
        vis[o + l] = prefixOnly ? l < starts[b] : !inSlice;
      }
      for (int s = 0; s < width; s++) {
        vis[o + L + s] = s < block && starts[b] + s < L;
      }
    }
    return vis;
  }

  private static double rowDiff(Logits a, int ba, int la, Logits b, int bb, int lb, int v) {
    double d = 0;
    for (int u = 0; u < v; u++) {
      d =
          Math.max(
              d, Math.abs(a.values()[a.offset(ba, la) + u] - b.values()[b.offset(bb, lb) + u]));
    }
    return d;
  }
}
