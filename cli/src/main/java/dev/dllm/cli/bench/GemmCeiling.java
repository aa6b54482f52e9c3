package dev.dllm.cli.bench;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.model.DitConfig;
import dev.dllm.exporter.OnnxEmitter;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The GEMM ceiling of a DiT forward (issue 20): an ONNX graph holding only the forward's matrix
 * products at {@code [B, L]} — per block the QKV projection {@code [BL, d]·[d, 3d]}, the attention
 * scores {@code [BH, L, d_h]·[BH, d_h, L]}, probabilities·V {@code [BH, L, L]·[BH, L, d_h]}, the
 * output projection {@code [BL, d]·[d, d]}, the MLP {@code [BL, d]·[d, 4d]} and {@code [BL,
 * 4d]·[4d, d]}, adaLN {@code [B, c]·[c, 6d]}; then the output layer {@code [BL, d]·[d, V]} — with
 * weights of the real sizes and activations fed as inputs (so nothing is constant-folded), run by
 * ONNX Runtime with the same settings as the model. Its time is what the forward would take if
 * everything but the GEMMs were free; {@code ceiling / forward} is the share of it the forward
 * reaches.
 */
final class GemmCeiling implements AutoCloseable {
  private final OrtSession session;
  private final Map<String, OnnxTensor> feeds = new HashMap<>();
  private final double flops;

  private GemmCeiling(OrtSession session, double flops) {
    this.session = session;
    this.flops = flops;
  }

  /**
   * Matrix-product FLOPs of one forward at {@code [batch, length]}: Σ 2·M·N·K over the products
   * listed in the class comment (FLOPs per call).
   */
  static double flops(DitConfig c, int batch, int length) {
    double bl = (double) batch * length;
    double d = c.hidden();
    double bh = (double) batch * c.heads();
    double dh = c.headDim();
    double perBlock =
        2 * bl * d * 3 * d // QKV
            + 2 * bh * length * dh * length // Q·K^T
            + 2 * bh * length * length * dh // P·V
            + 2 * bl * d * d // output projection
            + 2 * bl * d * 4 * d * 2 // MLP up and down
            + 2.0 * batch * c.condDim() * 6 * d; // adaLN
    return c.blocks() * perBlock + 2 * bl * d * c.vocabSize() + 2.0 * batch * c.condDim() * 2 * d;
  }

  /**
   * Builds the GEMM-only graph for {@code c} at {@code [batch, length]} in {@code dir} and opens
   * it.
   *
   * @throws IOException when the graph cannot be written
   * @throws OrtException when ONNX Runtime cannot run it
   */
  static GemmCeiling open(
      DitConfig c, int batch, int length, Path dir, OrtEnvironment env, OrtConfig ort)
      throws IOException, OrtException {
    int d = c.hidden();
    int bl = batch * length;
    int bh = batch * c.heads();
    int dh = c.headDim();
    int cond = c.condDim();
    SplittableRandom r = new SplittableRandom(7);
    OnnxEmitter g = new OnnxEmitter("gemm_ceiling");
    TensorProto.DataType f = TensorProto.DataType.FLOAT;
    String x = g.input("x", f, bl, d);
    String h = g.input("h", f, bl, 4 * d);
    String q = g.input("q", f, bh, length, dh);
    String kt = g.input("kt", f, bh, dh, length);
    String p = g.input("p", f, bh, length, length);
    String e = g.input("c", f, batch, cond);
    int out = 0;
    for (int b = 0; b < c.blocks(); b++) {
      out = emit(g, g.matMul(x, weight(g, r, "qkv" + b, d, 3 * d)), out, bl, 3 * d);
      out = emit3(g, g.matMul(q, kt), out, bh, length, length);
      out = emit3(g, g.matMul(p, q), out, bh, length, dh);
      out = emit(g, g.matMul(x, weight(g, r, "o" + b, d, d)), out, bl, d);
      out = emit(g, g.matMul(x, weight(g, r, "up" + b, d, 4 * d)), out, bl, 4 * d);
      out = emit(g, g.matMul(h, weight(g, r, "down" + b, 4 * d, d)), out, bl, d);
      out = emit(g, g.matMul(e, weight(g, r, "ada" + b, cond, 6 * d)), out, batch, 6 * d);
    }
    out = emit(g, g.matMul(e, weight(g, r, "ada_out", cond, 2 * d)), out, batch, 2 * d);
    emit(g, g.matMul(x, weight(g, r, "logits", d, c.vocabSize())), out, bl, c.vocabSize());
    Files.createDirectories(dir);
    Path file = dir.resolve("gemm-ceiling.onnx");
    try (OutputStream os = Files.newOutputStream(file)) {
      g.model(Map.of()).writeTo(os);
    }
    GemmCeiling ceiling =
        new GemmCeiling(OnnxSessions.open(env, file, ort).session(), flops(c, batch, length));
    ceiling.feed(env, "x", r, bl, d);
    ceiling.feed(env, "h", r, bl, 4 * d);
    ceiling.feed(env, "q", r, bh, length, dh);
    ceiling.feed(env, "kt", r, bh, dh, length);
    ceiling.feed(env, "p", r, bh, length, length);
    ceiling.feed(env, "c", r, batch, cond);
    return ceiling;
  }

  /** Matrix-product FLOPs of one call. */
  double flops() {
    return flops;
  }

  /** One run of every product (the outputs are released at once). */
  void run() {
    try (OrtSession.Result ignored = session.run(feeds)) {
      // the outputs are only produced, never read
    } catch (OrtException e) {
      throw new IllegalStateException("the GEMM-ceiling graph failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws OrtException {
    for (OnnxTensor t : feeds.values()) {
      t.close();
    }
    session.close();
  }

  private void feed(OrtEnvironment env, String name, SplittableRandom r, long... shape)
      throws OrtException {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    feeds.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
  }

  private static String weight(OnnxEmitter g, SplittableRandom r, String name, int in, int out) {
    float[] w = new float[in * out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((r.nextDouble() - 0.5) * 0.1);
    }
    return g.floats(name, w, in, out);
  }

  private static int emit(OnnxEmitter g, String value, int index, long rows, long cols) {
    g.output(value, "y" + index, TensorProto.DataType.FLOAT, rows, cols);
    return index + 1;
  }

  private static int emit3(OnnxEmitter g, String value, int index, long a, long b, long c) {
    g.output(value, "y" + index, TensorProto.DataType.FLOAT, a, b, c);
    return index + 1;
  }
}
