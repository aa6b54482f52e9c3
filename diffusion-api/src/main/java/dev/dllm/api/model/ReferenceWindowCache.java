package dev.dllm.api.model;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.WindowKvCacheDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * The float64 windowed KV cache of {@link ReferenceDit} (Eso-LM sampling, spec §4.4): per row and
 * block it keeps the keys (after rotary, as [ESO]) and values of the committed tokens. A window
 * step runs the window through every block with mask "all cached keys, then causal inside the
 * window" and sigma = 0, so its logits equal those of a full forward over [cached tokens; window]
 * with causal attention (the oracle for the ONNX decode graph and the sampler's cache path).
 */
final class ReferenceWindowCache implements WindowKvCacheDecoder {
  private final ReferenceDit model;
  private final int batch;
  private final int blocks;

  /** cache.get(b)[block][0 = K, 1 = V] is a list of [d] rows. */
  private final List<List<double[]>[][]> cache = new ArrayList<>();

  private int cached;
  private boolean closed;

  @SuppressWarnings("unchecked")
  ReferenceWindowCache(ReferenceDit model, int batch) {
    if (batch < 1) {
      throw new InvalidInputException("KV-cache batch must be >= 1, got " + batch);
    }
    this.model = model;
    this.batch = batch;
    this.blocks = model.config().blocks();
    for (int b = 0; b < batch; b++) {
      List<double[]>[][] rows = new List[blocks][2];
      for (int i = 0; i < blocks; i++) {
        rows[i][0] = new ArrayList<>();
        rows[i][1] = new ArrayList<>();
      }
      cache.add(rows);
    }
  }

  @Override
  public Logits step(int[] tokens, int[] positions, int window, int commit) {
    if (closed) {
      throw new IllegalStateException("KV-cache decoder is closed");
    }
    if (window < 1 || commit < 0 || commit > window) {
      throw new IllegalArgumentException(
          "window step needs 1 <= W and 0 <= commit <= W, got W = "
              + window
              + ", commit "
              + commit);
    }
    if (tokens.length != batch * window || positions.length != batch * window) {
      throw new IllegalArgumentException(
          "window step needs [" + batch + ", " + window + "] tokens and positions");
    }
    int vocab = model.vocabSize();
    float[] out = new float[batch * window * vocab];
    boolean[][] mask = new boolean[window][cached + window];
    for (int q = 0; q < window; q++) {
      for (int k = 0; k < cached + window; k++) {
        mask[q][k] = k < cached || k - cached <= q;
      }
    }
    for (int b = 0; b < batch; b++) {
      int[] ids = new int[window];
      int[] pos = new int[window];
      System.arraycopy(tokens, b * window, ids, 0, window);
      System.arraycopy(positions, b * window, pos, 0, window);
      List<double[]>[][] rows = cache.get(b);
      double[][][][] past = new double[blocks][2][][];
      for (int i = 0; i < blocks; i++) {
        past[i][0] = rows[i][0].toArray(new double[0][]);
        past[i][1] = rows[i][1].toArray(new double[0][]);
      }
      double[][][][] present = new double[blocks][][][];
      double[][] logits = model.rowForward(ids, 0.0, pos, mask, past, present);
      for (int l = 0; l < window; l++) {
        for (int v = 0; v < vocab; v++) {
          out[(b * window + l) * vocab + v] = (float) logits[l][v];
        }
      }
      for (int i = 0; i < blocks; i++) {
        for (int l = 0; l < commit; l++) {
          rows[i][0].add(present[i][0][l]);
          rows[i][1].add(present[i][1][l]);
        }
      }
    }
    cached += commit;
    return new Logits(out, batch, window, vocab);
  }

  @Override
  public int cached() {
    return cached;
  }

  @Override
  public void close() {
    closed = true;
    cache.clear();
  }
}
