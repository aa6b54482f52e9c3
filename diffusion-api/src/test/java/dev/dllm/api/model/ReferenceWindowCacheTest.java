package dev.dllm.api.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.model.BackboneSpec.Attention;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The windowed KV cache (Eso-LM, spec §4.4) against full sorted-causal forwards of the same tokens,
 * and the layout forward against the explicit-mask forward64.
 */
class ReferenceWindowCacheTest {
  private static final int V = 9;
  private static final int M = 8; // a "mask" id, only a token here

  static DitWeights random(Attention a, long seed) {
    DitConfig cfg = new DitConfig(V, 16, 2, 2, 8, a, 0.0);
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
    return new DitWeights(cfg, m);
  }

  /** Rows [from, to) of a full sorted-causal forward of {@code ids} at {@code pos}, batch 2. */
  private static Logits full(ReferenceDit ref, int[][] ids, int[][] pos) {
    int len = ids[0].length;
    int[] flat = new int[2 * len];
    int[] p = new int[2 * len];
    for (int b = 0; b < 2; b++) {
      System.arraycopy(ids[b], 0, flat, b * len, len);
      System.arraycopy(pos[b], 0, p, b * len, len);
    }
    return ref.forward(new TokenBatch(flat, 2, len), null, AttentionLayout.sortedCausal(p, 2, len));
  }

  @Test
  void windowStepsEqualFullSortedCausalForwards() {
    ReferenceDit ref = new ReferenceDit(random(Attention.SORTED_CAUSAL, 11));
    int[][] y = {{3, 1, 4, 1, 5, 2, 6}, {2, 7, 1, 0, 2, 6, 3}};
    int[][] order = {{5, 0, 3, 6, 1, 4, 2}, {1, 2, 0, 6, 5, 3, 4}};
    int[][] windows = {{0, 0, 2}, {0, 2, 5}, {2, 5, 7}}; // {last_start, u, u + k}
    try (WindowKvCacheDecoder dec = ref.windowKvCacheDecoder(2).orElseThrow()) {
      for (int[] w : windows) {
        int start = w[0];
        int u = w[1];
        int end = w[2];
        int width = end - start;
        int[] tokens = new int[2 * width];
        int[] pos = new int[2 * width];
        int[][] prefix = new int[2][end];
        int[][] prefixPos = new int[2][end];
        for (int b = 0; b < 2; b++) {
          for (int j = 0; j < end; j++) {
            prefix[b][j] = j < u ? y[b][j] : M;
            prefixPos[b][j] = order[b][j];
          }
          for (int j = start; j < end; j++) {
            tokens[b * width + j - start] = prefix[b][j];
            pos[b * width + j - start] = order[b][j];
          }
        }
        Logits got = dec.step(tokens, pos, width, u - start);
        Logits want = full(ref, prefix, prefixPos);
        for (int b = 0; b < 2; b++) {
          for (int j = start; j < end; j++) {
            for (int v = 0; v < V; v++) {
              assertEquals(want.get(b, j, v), got.get(b, j - start, v), 1e-5);
            }
          }
        }
        assertEquals(u, dec.cached());
      }
    }
  }

  @Test
  void layoutForwardEqualsExplicitMaskAndRankMask() {
    ReferenceDit ref = new ReferenceDit(random(Attention.SORTED_CAUSAL, 12));
    int[] x = {3, 1, 4, 1, 5, 8, 8};
    int[] order = {5, 0, 3, 6, 1, 4, 2};
    int len = x.length;
    int[] sorted = new int[len];
    for (int j = 0; j < len; j++) {
      sorted[j] = x[order[j]];
    }
    Logits a =
        ref.forward(
            new TokenBatch(sorted, 1, len), null, AttentionLayout.sortedCausal(order, 1, len));
    // Second form: original order, identity positions, mask "rank(k) <= rank(q)".
    int[] rank = new int[len];
    for (int j = 0; j < len; j++) {
      rank[order[j]] = j;
    }
    boolean[] allowed = new boolean[len * len];
    int[] ident = new int[len];
    for (int q = 0; q < len; q++) {
      ident[q] = q;
      for (int k = 0; k < len; k++) {
        allowed[q * len + k] = rank[k] <= rank[q];
      }
    }
    Logits b =
        ref.forward(new TokenBatch(x, 1, len), null, new AttentionLayout(1, len, ident, allowed));
    for (int j = 0; j < len; j++) {
      for (int v = 0; v < V; v++) {
        assertEquals(a.get(0, j, v), b.get(0, order[j], v), 1e-5);
      }
    }
    // The pattern matters: bidirectional differs.
    Logits c = ref.forward(new TokenBatch(x, 1, len), new float[1]);
    boolean differs = false;
    for (int v = 0; v < V; v++) {
      differs |= Math.abs(c.get(0, 0, v) - b.get(0, 0, v)) > 1e-4;
    }
    assertTrue(differs);
  }

  @Test
  void badWindowIsRejected() {
    ReferenceDit ref = new ReferenceDit(random(Attention.SORTED_CAUSAL, 13));
    WindowKvCacheDecoder dec = ref.windowKvCacheDecoder(1).orElseThrow();
    assertThrows(IllegalArgumentException.class, () -> dec.step(new int[2], new int[2], 2, 3));
    dec.close();
    assertThrows(IllegalStateException.class, () -> dec.step(new int[1], new int[1], 1, 0));
  }

  @Test
  void additiveMaskMarksDisallowedKeys() {
    AttentionLayout l = AttentionLayout.sortedCausal(new int[] {2, 0, 1}, 1, 3);
    float[] m = l.additiveMask();
    assertEquals(0f, m[0]);
    assertEquals(AttentionLayout.MASK_BIAS, m[1]);
    assertEquals(0f, m[2 * 3 + 1]);
    // one [L, L] pattern shared by two rows: every row reads it, the bias is [1, L, L]
    boolean[] pattern = {true, false, true, true};
    AttentionLayout shared = new AttentionLayout(2, 2, new int[] {0, 1, 1, 0}, pattern);
    assertTrue(shared.shared());
    assertTrue(shared.allowed(1, 1, 0));
    assertEquals(false, shared.allowed(1, 0, 1));
    assertEquals(4, shared.additiveMask().length);
    AttentionLayout perRow = new AttentionLayout(2, 2, new int[4], new boolean[8]);
    assertEquals(false, perRow.shared());
    assertEquals(8, perRow.additiveMask().length);
    assertThrows(
        IllegalArgumentException.class,
        () -> new AttentionLayout(2, 2, new int[4], new boolean[5]));
  }
}
