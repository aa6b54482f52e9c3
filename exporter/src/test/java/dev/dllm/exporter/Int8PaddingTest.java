package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The output-column padding of {@link Int8MatMulRewrite} ({@code N} to a multiple of {@value
 * Int8MatMulRewrite#N_ALIGN}): at the shapes where ONNX Runtime 1.23.2's AMX u8 × s8 kernel is
 * wrong unpadded (64 rows, {@code N % 16 != 0}; e.g. N 20 gave errors of 1–3× max|y| on a Xeon with
 * AMX-INT8), ORT's int8 product stays within the quantization bound of the fp32 product, at 1 and 2
 * threads and at both the unfused ({@code basic}) and fused ({@code extended}) levels; the padded
 * weight is {@code [K, N']}, the output {@code [M, N]}; a multiple of 16 is left as it is.
 */
class Int8PaddingTest {
  static final int M = 64;
  static final int K = 32;

  @ParameterizedTest
  @CsvSource({
    "17,1,extended",
    "20,2,extended",
    "31,1,basic",
    "69,2,extended",
    "69,1,basic",
    "32,2,extended"
  })
  void paddedProductStaysWithinTheQuantizationBound(int n, int threads, String level)
      throws Exception {
    SplittableRandom r = new SplittableRandom(n * 31L + threads);
    float[] w = new float[K * n];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() / Math.sqrt(K));
    }
    float[] x = new float[M * K];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() + 0.2);
    }
    ModelProto int8 =
        Int8MatMulRewrite.rewrite(Int8MatMulRewriteTest.OnnxEmitterProbe.oneMatMul(w, M, K, n));
    assertEquals(List.of(), OnnxGraphCheck.problems(int8));
    long align = Int8MatMulRewrite.N_ALIGN;
    long padded = (n + align - 1) / align * align;
    TensorProto wq =
        int8.getGraph().getInitializerList().stream()
            .filter(t -> t.getName().equals("W_q"))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of((long) K, padded), wq.getDimsList());
    long slices =
        int8.getGraph().getNodeList().stream().filter(d -> d.getOpType().equals("Slice")).count();
    assertEquals(padded == n ? 0 : 1, slices);

    float[] got = run(int8, x, n, threads, level);
    // activation step a (DynamicQuantizeLinear: range including 0, over 255), weight step b[c]
    double lo = 0;
    double hi = 0;
    for (float v : x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double a = (hi - lo) / 255;
    for (int c = 0; c < n; c++) {
      double colMax = 0;
      for (int k = 0; k < K; k++) {
        colMax = Math.max(colMax, Math.abs(w[k * n + c]));
      }
      double b = colMax / 127;
      for (int m = 0; m < M; m++) {
        double exact = 0;
        double bound = 0;
        for (int k = 0; k < K; k++) {
          exact += (double) x[m * K + k] * w[k * n + c];
          bound += Math.abs(x[m * K + k]) * b / 2 + a / 2 * Math.abs(w[k * n + c]) + a * b / 4;
        }
        double err = Math.abs(got[m * n + c] - exact);
        assertTrue(
            err <= bound * (1 + 1e-4) + 1e-6,
            "N "
                + n
                + " threads "
                + threads
                + " "
                + level
                + " y["
                + m
                + ","
                + c
                + "]: |int8 - fp32| "
                + err
                + " > bound "
                + bound);
      }
    }
  }

  @Test
  void columnsArePaddedToWholeSixteenColumnTiles() {
    assertEquals(0, Int8MatMulRewrite.N_ALIGN % 16, "the AMX kernel's tile is 16 columns wide");
    assertEquals(80, Int8MatMulRewrite.padded(69));
    assertEquals(64, Int8MatMulRewrite.padded(64));
  }

  private static float[] run(ModelProto model, float[] x, int n, int threads, String level)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(
          level.equals("basic")
              ? OrtSession.SessionOptions.OptLevel.BASIC_OPT
              : OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      so.setIntraOpNumThreads(threads);
      try (OrtSession s = env.createSession(model.toByteArray(), so);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {M, K});
          OrtSession.Result res = s.run(Map.of("x", t))) {
        float[][] y = (float[][]) res.get(0).getValue();
        assertEquals(M, y.length);
        float[] flat = new float[M * n];
        for (int m = 0; m < M; m++) {
          assertEquals(n, y[m].length);
          System.arraycopy(y[m], 0, flat, m * n, n);
        }
        return flat;
      }
    }
  }
}
