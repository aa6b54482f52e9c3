package dev.dllm.eval.likelihood;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A forward pass over right-padded rows in which padding has no effect, for denoisers without an
 * attention-mask input (the dllm ONNX graphs take only {@code tokens [B, L]} and {@code sigma
 * [B]}). Rows are grouped by their true length and each group is run at that length, so a valid
 * position attends exactly the valid keys, as with a key-padding attention mask: the logits of
 * ["A"] equal those of ["A", PAD]. Rotary positions are unchanged because padding is on the right.
 * Padded positions get logits NaN: they are never scored.
 */
public final class UnpaddedForward {
  private UnpaddedForward() {}

  /**
   * Logits of right-padded rows.
   *
   * @param tokens ids {@code [B, L]}, row b valid on {@code [0, lengths[b])}
   * @param lengths true length per row {@code [B]}, each in [1, L]
   * @param sigma per row {@code [B]} or null
   * @return logits {@code [B, L, V]}, NaN at padded positions
   * @throws IllegalArgumentException for a length outside [1, L]
   */
  public static Logits forward(Denoiser denoiser, TokenBatch tokens, int[] lengths, float[] sigma) {
    int b = tokens.batch();
    int l = tokens.length();
    if (lengths.length != b) {
      throw new IllegalArgumentException(lengths.length + " lengths for " + b + " rows");
    }
    Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
    for (int r = 0; r < b; r++) {
      if (lengths[r] < 1 || lengths[r] > l) {
        throw new IllegalArgumentException(
            "row " + r + " length " + lengths[r] + " not in [1, " + l + "]");
      }
      groups.computeIfAbsent(lengths[r], k -> new java.util.ArrayList<>()).add(r);
    }
    int v = denoiser.vocabSize();
    float[] out = new float[b * l * v];
    Arrays.fill(out, Float.NaN);
    for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
      int len = g.getKey();
      List<Integer> rows = g.getValue();
      int[] ids = new int[rows.size() * len];
      float[] s = sigma == null ? null : new float[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(tokens.ids(), rows.get(i) * l, ids, i * len, len);
        if (s != null) {
          s[i] = sigma[rows.get(i)];
        }
      }
      Logits part = denoiser.forward(new TokenBatch(ids, rows.size(), len), s);
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(part.values(), i * len * v, out, rows.get(i) * l * v, len * v);
      }
    }
    return new Logits(out, b, l, v);
  }
}
