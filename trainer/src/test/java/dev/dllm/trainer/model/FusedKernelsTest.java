package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.dllm.trainer.autograd.ConstantPool;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link FusedKernels} against a second implementation written with plain DJL ops (the formulation
 * DitModel used before the kernels): values and input gradients of the tanh GELU and of rotary
 * attention (bidirectional, causal bias, per-row positions) agree to float32 rounding, and a
 * repeated call is bit-identical.
 */
class FusedKernelsTest {
  private static final int B = 2;
  private static final int L = 12;
  private static final int H = 3;
  private static final int DH = 8;

  /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as DJL elementwise ops. */
  private static NDArray geluReference(NDArray x) {
    NDArray inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul((float) Math.sqrt(2 / Math.PI));
    return x.mul(inner.tanh().add(1f)).mul(0.5f);
  }

  /** softmax(rot(q)·rot(k)^T + bias)·v with explicit slices, transposes and matMuls. */
  private static NDArray attentionReference(NDArray qkv, NDArray[] rot, NDArray bias) {
    NDArray t = qkv.transpose(2, 0, 3, 1, 4); // [3, B, H, L, dh]
    NDArray qk = t.get("0:2");
    int half = DH / 2;
    NDArray swapped = qk.get("..., " + half + ":").concat(qk.get("..., :" + half), -1);
    NDArray r = qk.mul(rot[0]).add(swapped.mul(rot[1]));
    NDArray scores = r.get(0).matMul(r.get(1).transpose(0, 1, 3, 2));
    if (bias != null) {
      scores = scores.add(bias);
    }
    return scores.softmax(-1).matMul(t.get(2)).transpose(0, 2, 1, 3).reshape(B, L, H * DH);
  }

  /** Value and input gradient (of Σ f(x)·w for a fixed random w) of {@code f} at {@code x0}. */
  private static float[][] valueAndGradient(NDManager m, NDArray x0, Function<NDArray, NDArray> f) {
    try (NDManager s = m.newSubManager()) {
      NDArray x = x0.duplicate();
      x.attach(s);
      x.setRequiresGradient(true);
      float[] value;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = f.apply(x);
        Engine.getInstance().setRandomSeed(5);
        NDArray w = s.randomNormal(y.getShape());
        value = y.toFloatArray();
        gc.backward(y.mul(w).sum());
      }
      return new float[][] {value, x.getGradient().toFloatArray()};
    }
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  private static double maxAbs(float[] a) {
    double d = 0;
    for (float v : a) {
      d = Math.max(d, Math.abs(v));
    }
    return d;
  }

  private static void assertClose(float[][] expected, float[][] actual, double tol) {
    assertTrue(maxAbs(expected[1]) > 0.1, "gradient must be far from trivial");
    double dv = maxAbsDiff(expected[0], actual[0]);
    double dg = maxAbsDiff(expected[1], actual[1]);
    assertTrue(dv <= tol, "value: max abs diff " + dv);
    assertTrue(dg <= tol, "gradient: max abs diff " + dg);
  }

  @Test
  void geluMatchesTheTanhFormulaAndItsGradient() {
    try (NDManager m = NDManager.newBaseManager();
        FusedKernels k = new FusedKernels(m)) {
      Engine.getInstance().setRandomSeed(1);
      NDArray x = m.randomNormal(0, 3, new Shape(B, L, 16), ai.djl.ndarray.types.DataType.FLOAT32);
      float[][] expected = valueAndGradient(m, x, FusedKernelsTest::geluReference);
      float[][] fused = valueAndGradient(m, x, k::gelu);
      assertClose(expected, fused, 1e-5);
      // the DitModel formulation before the kernel (x·sigmoid(2u)) is the same function
      float[][] sigmoidForm =
          valueAndGradient(
              m,
              x,
              v -> {
                NDArray u = v.mul(v).mul(0.044715f).add(1f).mul(v);
                return v.mul(Activation.sigmoid(u.mul((float) (2 * Math.sqrt(2 / Math.PI)))));
              });
      assertClose(sigmoidForm, fused, 1e-5);
      assertArrayEquals(fused[1], valueAndGradient(m, x, k::gelu)[1]);
    }
  }

  private static void checkAttention(boolean causal, boolean atPositions) {
    try (NDManager m = NDManager.newBaseManager();
        FusedKernels k = new FusedKernels(m)) {
      AttentionTables tables = new AttentionTables(DH, m, new ConstantPool(m));
      Engine.getInstance().setRandomSeed(2);
      NDArray qkv = m.randomNormal(new Shape(B, L, 3, H, DH));
      NDArray[] rot;
      if (atPositions) {
        long[] pos = new long[B * L];
        for (int i = 0; i < pos.length; i++) {
          pos[i] = (i * 7L) % (3L * L); // shuffled, beyond L
        }
        rot = tables.rotaryAt(m.create(pos, new Shape(B, L)));
      } else {
        rot = tables.rotary(L);
      }
      NDArray bias = causal ? tables.causalMask(L) : null;
      float[][] expected = valueAndGradient(m, qkv, x -> attentionReference(x, rot, bias));
      float[][] fused = valueAndGradient(m, qkv, x -> k.attention(x, rot, bias));
      assertClose(expected, fused, 2e-5);
      float[][] again = valueAndGradient(m, qkv, x -> k.attention(x, rot, bias));
      assertArrayEquals(fused[0], again[0]);
      assertArrayEquals(fused[1], again[1]);
    }
  }

  @Test
  void bidirectionalAttentionMatchesExplicitOps() {
    checkAttention(false, false);
  }

  @Test
  void causalAttentionMatchesExplicitOps() {
    checkAttention(true, false);
  }

  @Test
  void attentionAtExplicitPositionsMatchesExplicitOps() {
    checkAttention(true, true);
  }

  @Test
  void archiveHoldsTheFourRecordsOfTorchJitSave() throws Exception {
    byte[] zip = FusedKernels.archive("Gelu", FusedKernels.GELU_SOURCE);
    java.util.List<String> names = new java.util.ArrayList<>();
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertEquals(
        java.util.List.of(
            "gelu/data.pkl", "gelu/code/__torch__.py", "gelu/constants.pkl", "gelu/version"),
        names);
  }
}
