package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RowCache} returns what a full call would, and feeds the network exactly the rows that
 * changed since the previous call.
 */
class RowCacheTest {
  static final int V = 5;

  /** Row b's logits depend only on row b's ids and sigma; records the batch of every call. */
  static final class RowWise implements Denoiser {
    final List<Integer> batches = new ArrayList<>();

    @Override
    public int vocabSize() {
      return V;
    }

    @Override
    public Logits forward(TokenBatch t, float[] sigma) {
      batches.add(t.batch());
      float[] out = new float[t.batch() * t.length() * V];
      for (int b = 0; b < t.batch(); b++) {
        long h = sigma == null ? 0 : Float.floatToIntBits(sigma[b]);
        for (int l = 0; l < t.length(); l++) {
          h = h * 31 + t.get(b, l);
        }
        for (int l = 0; l < t.length(); l++) {
          for (int v = 0; v < V; v++) {
            out[(b * t.length() + l) * V + v] = (float) ((h * 7 + l * V + v) % 1000);
          }
        }
      }
      return new Logits(out, t.batch(), t.length(), V);
    }
  }

  @Test
  void randomChangesGiveTheFullCallsLogitsAndFeedOnlyChangedRows() {
    int batch = 6;
    int length = 7;
    SplittableRandom rng = new SplittableRandom(3);
    RowWise net = new RowWise();
    RowWise oracle = new RowWise();
    RowCache cache = new RowCache(net);
    int[] ids = new int[batch * length];
    float[] sigma = new float[batch];
    long expectedFed = 0;
    boolean[] changedEver = new boolean[batch];
    for (int call = 0; call < 40; call++) {
      int changedRows = 0;
      for (int b = 0; b < batch; b++) {
        boolean change = call == 0 || rng.nextInt(3) == 0;
        if (change && call > 0) {
          // change one token, or only sigma: either must refresh the row
          if (rng.nextBoolean()) {
            int l = rng.nextInt(length);
            ids[b * length + l] = (ids[b * length + l] + 1 + rng.nextInt(V - 1)) % V;
          } else {
            sigma[b] += 0.25f;
          }
        }
        changedRows += change ? 1 : 0;
        changedEver[b] |= change;
      }
      expectedFed += changedRows;
      TokenBatch t = new TokenBatch(ids.clone(), batch, length);
      Logits got = cache.forward(t, sigma.clone());
      Logits want = oracle.forward(t, sigma.clone());
      assertArrayEquals(want.values(), got.values(), "call " + call);
      assertEquals(expectedFed, cache.rowsFed(), "call " + call);
      assertEquals((long) (call + 1) * batch - expectedFed, cache.rowsReused());
      int last = net.batches.isEmpty() ? 0 : net.batches.get(net.batches.size() - 1);
      if (changedRows > 0) {
        assertEquals(changedRows, last, "rows fed at call " + call);
      }
    }
    assertEquals(
        net.batches.stream().mapToLong(Integer::longValue).sum(),
        cache.rowsFed(),
        "rows fed = rows the network saw");
  }

  @Test
  void aCallOfAnotherShapeIsFedWhole() {
    RowWise net = new RowWise();
    RowCache cache = new RowCache(net);
    cache.forward(new TokenBatch(new int[6], 2, 3), null);
    Logits got = cache.forward(new TokenBatch(new int[4], 1, 4), null);
    assertEquals(List.of(2, 1), net.batches);
    assertArrayEquals(
        new RowWise().forward(new TokenBatch(new int[4], 1, 4), null).values(), got.values());
  }
}
