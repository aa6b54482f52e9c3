package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.dllm.trainer.autograd.ConstantPool;
import java.util.HashMap;
import java.util.Map;

/**
 * The constant tables of {@link DitModel}'s attention (spec §7; [SD] models/dit.py {@code Rotary}):
 * rotary cos/sin tables (NeoX halves, base {@link DitModel#ROTARY_BASE}, full head dim) with the
 * attention scale 1/√d_h folded into the query half, and additive causal masks. Tables for
 * positions 0..L-1 and masks are built once per length and cached; the table gathered at explicit
 * positions (Eso-LM) grows by doubling. All arrays live in the model's constants manager and are
 * freed with it; the methods are thread-safe.
 */
final class AttentionTables {
  private final int headDim;
  private final NDManager constants;
  private final ConstantPool scalars;
  private final Map<Integer, NDArray[]> rotaryByLength = new HashMap<>();
  private final Map<Integer, NDArray> causalByLength = new HashMap<>();
  private final Map<Integer, NDArray> pairsByLength = new HashMap<>();
  private NDArray[] rotaryTable;
  private NDArray pairTable;

  /**
   * @param headDim d_h, the per-head width
   * @param constants the manager that owns the tables
   * @param scalars the model's autograd-safe scalars (the q scale of {@link #rotaryAt})
   */
  AttentionTables(int headDim, NDManager constants, ConstantPool scalars) {
    this.headDim = headDim;
    this.constants = constants;
    this.scalars = scalars;
  }

  /**
   * Cached (cos, [-sin; sin]) {@code [2, 1, 1, L, d_h]} for positions 0..L-1; index 0 (for q) is
   * multiplied by the attention scale 1/√d_h, index 1 (for k) is not.
   */
  synchronized NDArray[] rotary(int len) {
    NDArray[] r = rotaryByLength.get(len);
    if (r == null) {
      int dh = headDim;
      float[][] t = rotaryTables(len, dh);
      float scale = (float) (1.0 / Math.sqrt(dh));
      Shape shape = new Shape(2, 1, 1, len, dh);
      r =
          new NDArray[] {
            constants.create(scaledPair(t[0], scale), shape),
            constants.create(scaledPair(t[1], scale), shape)
          };
      rotaryByLength.put(len, r);
    }
    return r;
  }

  /**
   * Rows of a position-indexed table grown to cover {@code maxPos}: at least maxPos + 1, twice the
   * current rows (amortised growth) and 64.
   */
  static int grownRows(long maxPos, long currentRows) {
    return (int) Math.max(64, Math.max(maxPos + 1, 2 * currentRows));
  }

  /** [t·scale ; t] as one array. */
  private static float[] scaledPair(float[] t, float scale) {
    float[] out = new float[2 * t.length];
    for (int i = 0; i < t.length; i++) {
      out[i] = t[i] * scale;
      out[t.length + i] = t[i];
    }
    return out;
  }

  /**
   * (cos, [-sin; sin]) gathered at {@code positions [B, L]}, shaped {@code [2, B, 1, L, d_h]} with
   * the q half scaled by 1/√d_h.
   */
  NDArray[] rotaryAt(NDArray positions) {
    long maxPos = positions.max().toType(DataType.INT64, false).getLong();
    NDArray[] table;
    synchronized (this) {
      if (rotaryTable == null || rotaryTable[0].getShape().get(0) <= maxPos) {
        int n = grownRows(maxPos, rotaryTable == null ? 0 : rotaryTable[0].getShape().get(0));
        float[][] t = rotaryTables(n, headDim);
        if (rotaryTable != null) {
          rotaryTable[0].close();
          rotaryTable[1].close();
        }
        rotaryTable =
            new NDArray[] {
              constants.create(t[0], new Shape(n, headDim)),
              constants.create(t[1], new Shape(n, headDim))
            };
      }
      table = rotaryTable;
    }
    NDArray pos = positions.toType(DataType.INT64, false);
    float scale = (float) (1.0 / Math.sqrt(headDim));
    NDArray[] out = new NDArray[2];
    for (int i = 0; i < 2; i++) {
      // [B, L, d_h] -> [1, B, 1, L, d_h], then [q-scaled; k] along axis 0
      NDArray t = Embedding.embedding(pos, table[i], SparseFormat.DENSE).get(0).expandDims(1);
      t = t.expandDims(0);
      out[i] = t.mul(scalars.of(scale)).concat(t, 0);
    }
    return out;
  }

  /**
   * Cached rotary pairs of {@link BlockKernel} for positions 0..L-1: {@code [L, 2, 1, d_h/2, 2]},
   * element (p, t, 0, i) = (cos, sin) of p·inv_freq_i, times 1/√d_h for t = 0 (q), as is for t = 1
   * (k).
   */
  synchronized NDArray pairs(int len) {
    return pairsByLength.computeIfAbsent(
        len,
        n -> {
          float[] t = pairTable(n, headDim);
          float scale = (float) (1.0 / Math.sqrt(headDim));
          int row = headDim; // d_h/2 pairs of (cos, sin) per position
          float[] out = new float[2 * t.length];
          for (int p = 0; p < n; p++) {
            for (int j = 0; j < row; j++) {
              out[(2 * p) * row + j] = t[p * row + j] * scale;
              out[(2 * p + 1) * row + j] = t[p * row + j];
            }
          }
          return constants.create(out, new Shape(n, 2, 1, headDim / 2, 2));
        });
  }

  /**
   * Rotary pairs of {@link BlockKernel} gathered at {@code positions [B, L]}: {@code [B, L, 2, 1,
   * d_h/2, 2]}, q half scaled by 1/√d_h (see {@link #pairs}).
   */
  NDArray pairsAt(NDArray positions) {
    long maxPos = positions.max().toType(DataType.INT64, false).getLong();
    NDArray table;
    synchronized (this) {
      if (pairTable == null || pairTable.getShape().get(0) <= maxPos) {
        int n = grownRows(maxPos, pairTable == null ? 0 : pairTable.getShape().get(0));
        if (pairTable != null) {
          pairTable.close();
        }
        pairTable = constants.create(pairTable(n, headDim), new Shape(n, headDim));
      }
      table = pairTable;
    }
    NDArray pos = positions.toType(DataType.INT64, false);
    Shape s = positions.getShape();
    // [B, L, d_h] -> [B, L, 1, 1, d_h/2, 2], then [q-scaled; k] along axis 2
    NDArray t =
        Embedding.embedding(pos, table, SparseFormat.DENSE)
            .get(0)
            .reshape(s.get(0), s.get(1), 1, 1, headDim / 2, 2);
    return t.mul(scalars.of(1.0 / Math.sqrt(headDim))).concat(t, 2);
  }

  /**
   * (cos, sin) of p·inv_freq_i interleaved per pair: row p holds cos_0, sin_0, cos_1, sin_1, ...
   * ({@code [n, d_h]} row-major), the same float32 values as {@link #rotaryTables}.
   */
  static float[] pairTable(int n, int dh) {
    float[][] t = rotaryTables(n, dh);
    int half = dh / 2;
    float[] out = new float[n * dh];
    for (int p = 0; p < n; p++) {
      for (int i = 0; i < half; i++) {
        out[p * dh + 2 * i] = t[0][p * dh + i];
        out[p * dh + 2 * i + 1] = t[1][p * dh + half + i];
      }
    }
    return out;
  }

  /**
   * cos and [-sin; sin] of the angles p·inv_freq (duplicated halves), inv_freq_k = 10000^(-2k/d_h),
   * computed in float64 and rounded to float32; each {@code [n, d_h]} row-major.
   */
  static float[][] rotaryTables(int n, int dh) {
    int half = dh / 2;
    float[] cos = new float[n * dh];
    float[] sin = new float[n * dh];
    for (int p = 0; p < n; p++) {
      for (int k = 0; k < half; k++) {
        double angle = p * Math.pow(DitModel.ROTARY_BASE, -2.0 * k / dh);
        float cv = (float) Math.cos(angle);
        float sv = (float) Math.sin(angle);
        cos[p * dh + k] = cv;
        cos[p * dh + half + k] = cv;
        sin[p * dh + k] = -sv;
        sin[p * dh + half + k] = sv;
      }
    }
    return new float[][] {cos, sin};
  }

  /**
   * Cached additive causal bias {@code [L, L]}: 0 where key ≤ query, {@link DitModel#MASK_VALUE}
   * else.
   */
  synchronized NDArray causalMask(int len) {
    return causalByLength.computeIfAbsent(
        len,
        n -> {
          float[] m = new float[n * n];
          for (int q = 0; q < n; q++) {
            for (int k = q + 1; k < n; k++) {
              m[q * n + k] = DitModel.MASK_VALUE;
            }
          }
          return constants.create(m, new Shape(n, n));
        });
  }
}
