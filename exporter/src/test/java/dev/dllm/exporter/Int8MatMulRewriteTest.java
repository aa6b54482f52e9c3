package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Int8MatMulRewrite} on a one-MatMul graph {@code y = x W}, x {@code [M, K]}, W {@code [K,
 * N]}: the per-column weight quantization against its formula, ONNX Runtime's int8 product against
 * an independent Java re-implementation of the same quantization (ONNX {@code
 * DynamicQuantizeLinear} spec + integer product), the int8 product against fp32 within the bound
 * derived from the two quantization steps, and the optimized graph showing that ORT fuses the
 * pattern into {@code DynamicQuantizeMatMul}.
 */
class Int8MatMulRewriteTest {
  static final int M = 24;
  static final int K = 48;
  static final int N = 20;

  @TempDir Path tmp;

  @Test
  void perColumnQuantizationFollowsItsFormula() {
    float[] w = weights(3);
    w[5 * N + 7] = 0; // a column with an exact zero, and one all zero
    for (int k = 0; k < K; k++) {
      w[k * N + 2] = 0;
    }
    Int8MatMulRewrite.Quantized q =
        Int8MatMulRewrite.quantize(OnnxEmitterProbe.floats("W", w, K, N));
    for (int n = 0; n < N; n++) {
      double max = 0;
      for (int k = 0; k < K; k++) {
        max = Math.max(max, Math.abs(w[k * N + n]));
      }
      double scale = max == 0 ? 1 : max / 127;
      assertEquals(scale, q.scale()[n], 1e-7 * scale, "scale of column " + n);
      boolean reaches127 = false;
      for (int k = 0; k < K; k++) {
        int v = q.values()[k * N + n];
        assertTrue(v >= -127 && v <= 127);
        double u = w[k * N + n] / scale; // rounded half away from zero
        assertEquals(
            Math.signum(u) * Math.floor(Math.abs(u) + 0.5), v, 1e-9, "W_q[" + k + "," + n + "]");
        // dequantized within half a step
        assertTrue(Math.abs(v * q.scale()[n] - w[k * N + n]) <= scale / 2 * (1 + 1e-5));
        reaches127 |= Math.abs(v) == 127;
      }
      assertEquals(max > 0, reaches127, "the largest |w| of column " + n + " maps to ±127");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"basic", "extended"})
  void ortProductEqualsTheOracleAndStaysWithinTheQuantizationBound(String level) throws Exception {
    float[] w = weights(5);
    ModelProto fp32 = OnnxEmitterProbe.oneMatMul(w, M, K, N);
    ModelProto int8 = Int8MatMulRewrite.rewrite(fp32);
    assertEquals(java.util.List.of(), OnnxGraphCheck.problems(int8));
    assertTrue(opCounts(int8).containsKey("MatMulInteger"));
    assertFalse(opCounts(int8).containsKey("MatMul"));
    float[] x = new float[M * K];
    SplittableRandom r = new SplittableRandom(9);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() + 0.3); // asymmetric range: a non-trivial zero point
    }
    float[] got = run(int8, x, level);
    float[] exact = run(fp32, x, level);
    Oracle o = new Oracle(x, Int8MatMulRewrite.quantize(OnnxEmitterProbe.floats("W", w, K, N)));
    double stepTol = 0;
    for (int n = 0; n < N; n++) {
      stepTol = Math.max(stepTol, o.aScale * o.colMax[n] * 1.0001);
    }
    for (int m = 0; m < M; m++) {
      for (int n = 0; n < N; n++) {
        int i = m * N + n;
        double want = o.y(m, n);
        // the same quantization, up to one activation rounding flip (x / scale at a .5 boundary)
        assertEquals(want, got[i], stepTol + 1e-5 * Math.abs(want), level + " y[" + i + "]");
        // |x W - x~ W~| <= sum_k |x_k| b/2 + a/2 |W_kn| + a b / 4, the quantization steps' bound
        double bound = 0;
        for (int k = 0; k < K; k++) {
          bound +=
              Math.abs(x[m * K + k]) * o.bScale[n] / 2
                  + o.aScale / 2 * Math.abs(w[k * N + n])
                  + o.aScale * o.bScale[n] / 4;
        }
        assertTrue(
            Math.abs(got[i] - exact[i]) <= bound + stepTol,
            level + " |int8 - fp32| " + Math.abs(got[i] - exact[i]) + " > bound " + bound);
      }
    }
  }

  @Test
  void ortFusesThePatternIntoDynamicQuantizeMatMulAtExtended() throws Exception {
    ModelProto int8 = Int8MatMulRewrite.rewrite(OnnxEmitterProbe.oneMatMul(weights(7), M, K, N));
    Path in = tmp.resolve("int8.onnx");
    Path opt = tmp.resolve("int8.opt.onnx");
    Files.write(in, int8.toByteArray());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      so.setOptimizedModelFilePath(opt.toString());
      env.createSession(in.toString(), so).close();
    }
    Map<String, Integer> ops = opCounts(ModelProto.parseFrom(Files.readAllBytes(opt)));
    assertEquals(1, ops.getOrDefault("DynamicQuantizeMatMul", 0), "optimized ops: " + ops);
    assertFalse(ops.containsKey("MatMulInteger"), "optimized ops: " + ops);
    assertFalse(ops.containsKey("DynamicQuantizeLinear"), "optimized ops: " + ops);
  }

  @Test
  void refusesAQuantizedGraph() {
    ModelProto int8 = Int8MatMulRewrite.rewrite(OnnxEmitterProbe.oneMatMul(weights(1), M, K, N));
    assertThrows(IllegalArgumentException.class, () -> Int8MatMulRewrite.rewrite(int8));
  }

  /** ONNX DynamicQuantizeLinear (opset 11 spec) and an integer product, in double. */
  static final class Oracle {
    final double aScale;
    final int aZero;
    final int[] xq;
    final Int8MatMulRewrite.Quantized wq;
    final double[] bScale = new double[N];
    final double[] colMax = new double[N];

    Oracle(float[] x, Int8MatMulRewrite.Quantized wq) {
      double lo = 0;
      double hi = 0;
      for (float v : x) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      aScale = (float) ((hi - lo) / 255);
      aZero = (int) Math.rint(Math.max(0, Math.min(255, -lo / aScale)));
      xq = new int[x.length];
      for (int i = 0; i < x.length; i++) {
        xq[i] = (int) Math.max(0, Math.min(255, Math.rint(x[i] / aScale) + aZero));
      }
      this.wq = wq;
      for (int n = 0; n < N; n++) {
        bScale[n] = wq.scale()[n];
        colMax[n] = 127 * bScale[n];
      }
    }

    double y(int m, int n) {
      long acc = 0;
      for (int k = 0; k < K; k++) {
        acc += (long) (xq[m * K + k] - aZero) * wq.values()[k * N + n];
      }
      return acc * aScale * bScale[n];
    }
  }

  static float[] run(ModelProto model, float[] x, String level) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(
          level.equals("basic")
              ? OrtSession.SessionOptions.OptLevel.BASIC_OPT
              : OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      so.setIntraOpNumThreads(1);
      try (OrtSession s = env.createSession(model.toByteArray(), so);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {M, K});
          OrtSession.Result res = s.run(Map.of("x", t))) {
        float[][] y = (float[][]) res.get(0).getValue();
        float[] flat = new float[M * N];
        for (int m = 0; m < M; m++) {
          System.arraycopy(y[m], 0, flat, m * N, N);
        }
        return flat;
      }
    }
  }

  static Map<String, Integer> opCounts(ModelProto m) {
    Map<String, Integer> ops = new TreeMap<>();
    for (NodeProto n : m.getGraph().getNodeList()) {
      ops.merge(n.getOpType(), 1, Integer::sum);
    }
    return ops;
  }

  static float[] weights(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w = new float[K * N];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((2 * r.nextDouble() - 1) / Math.sqrt(K) * (1 + (i % N) / 4.0));
    }
    return w;
  }

  /** The test graph, built with {@link OnnxEmitter}. */
  static final class OnnxEmitterProbe {
    static TensorProto floats(String name, float[] data, long... dims) {
      OnnxEmitter e = new OnnxEmitter("t");
      e.floats(name, data, dims);
      return e.model(Map.of()).getGraph().getInitializer(0);
    }

    static ModelProto oneMatMul(float[] w, int m, int k, int n) {
      OnnxEmitter e = new OnnxEmitter("one_matmul");
      String x = e.input("x", TensorProto.DataType.FLOAT, m, k);
      String y = e.matMul(x, e.floats("W", w, k, n));
      e.output(y, "y", TensorProto.DataType.FLOAT, m, n);
      return e.model(Map.of());
    }
  }
}
