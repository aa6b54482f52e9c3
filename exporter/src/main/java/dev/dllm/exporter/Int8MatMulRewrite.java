package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of an fp32 graph, as a rewrite applied after the graph is built: every
 * {@code MatMul(x, W)} whose {@code W} is a 2-D float initializer {@code [K, N]} becomes
 *
 * <pre>
 *   x_q, a_scale, a_zero = DynamicQuantizeLinear(x)          x_q uint8, same shape as x
 *   acc   = MatMulInteger(x_q, W_q, a_zero)                  int32 [..., N]
 *   y     = Cast(acc, float) * (a_scale * b_scale[N])        float [..., N]
 * </pre>
 *
 * with {@code W_q} int8 {@code [K, N]} quantized symmetrically per output channel (column n):
 * {@code b_scale[n] = max_k |W[k, n]| / 127}, {@code W_q = clamp(round(W / b_scale), -127, 127)},
 * zero point 0 (the {@code b_zero_point} input is left out; 0 is its default). Activations are
 * quantized per tensor, asymmetrically to uint8, at run time (ONNX {@code DynamicQuantizeLinear},
 * opset 11). uint8 × int8 is the pair ONNX Runtime's CPU kernels run with AVX-512 VNNI / AVX2, and
 * ORT fuses this exact pattern into its {@code DynamicQuantizeMatMul} kernel (the pattern of ORT's
 * own {@code quantize_dynamic}).
 *
 * <p>Error per quantized MatMul (first order): a weight moves by at most half a step, {@code
 * b_scale[n] / 2 = max|W[:, n]| / 254}; an activation by at most {@code a_scale / 2 = range(x) /
 * 510}. So the output error is at most {@code (1/254 + 1/510)} of the product of the input range
 * and the column's largest weight, per summed term: {@link #RELATIVE_STEP}.
 *
 * <p>Output width: a weight whose {@code N} is not a multiple of {@value #N_ALIGN} is padded with
 * zero columns to the next multiple ({@code W_q [K, N']}, {@code b_scale [N']}) and the product is
 * sliced back to {@code [..., N]} ({@code Slice} on the last axis). Reason: ONNX Runtime 1.23.2's
 * AVX-512/AMX u8 × s8 kernel (MLAS, Xeon with AMX-INT8) returns wrong products, off by more than
 * the product itself, when a thread's block of output columns ends in a partial 16-column tile and
 * the input has 32 rows or more (measured for every {@code N % 16 != 0} up to 260, 1 and 2 threads;
 * 1.24.2 the same; 1.29.0 right: upstream microsoft/onnxruntime pull 27671). Padded columns are
 * zero, so the sliced result is the unpadded product exactly.
 *
 * <p>MatMuls between two activations (attention scores, attention · V) stay fp32. Everything else
 * (names of graph inputs and outputs, metadata) is unchanged, so the same runtime runs the result.
 *
 * <p>Alternatives measured and not taken (ONNX Runtime 1.23.2 CPU, MDLM {@code xs} at [16, 256], 2
 * threads, CPU time per forward; README "int8 graphs"): {@code com.microsoft.MatMulNBits} with
 * {@code bits} 8, {@code block_size} 32/64/128 and {@code accuracy_level} 4 (int8 activations per
 * block) runs the forward at 0.83–0.88× fp32 (level 0: 0.95×), this pattern at 1.17–1.30×; leaving
 * the adaLN and σ-embedding MatMuls ({@code [B, cond]} rows) fp32 changes nothing measurable.
 */
public final class Int8MatMulRewrite {
  private Int8MatMulRewrite() {}

  /** The {@code metadata_props} key recording the quantization ({@code int8}); absent = fp32. */
  public static final String QUANTIZE_KEY = ExportMetadata.QUANTIZE_KEY;

  /** The value of {@link #QUANTIZE_KEY} written by this rewrite. */
  public static final String INT8 = ExportMetadata.INT8;

  /**
   * First-order relative error bound of one quantized MatMul: half an int8 weight step (1/254 of
   * the column's largest |w|) plus half a uint8 activation step (1/510 of the input's range).
   */
  public static final double RELATIVE_STEP = 1.0 / 254 + 1.0 / 510;

  /** Quantized weights are padded to a multiple of this many output columns (class comment). */
  public static final int N_ALIGN = 16;

  /**
   * The quantized model: {@code model} with every weight MatMul rewritten (see the class comment)
   * and {@value #QUANTIZE_KEY} = {@value #INT8} added to its metadata.
   *
   * @throws IllegalArgumentException when {@code model} is already quantized
   */
  public static ModelProto rewrite(ModelProto model) {
    if (model.getMetadataPropsList().stream().anyMatch(p -> p.getKey().equals(QUANTIZE_KEY))) {
      throw new IllegalArgumentException("graph '" + model.getGraph().getName() + "' is quantized");
    }
    GraphProto g = model.getGraph();
    Map<String, TensorProto> weights = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2) {
        weights.put(t.getName(), t);
      }
    }
    Set<String> graphInputs = new HashSet<>();
    g.getInputList().forEach(v -> graphInputs.add(v.getName()));
    Map<String, String[]> quantized = new LinkedHashMap<>(); // W -> {W_q, b_scale}
    GraphProto.Builder out = g.toBuilder().clearNode();
    int counter = 0;
    Set<Long> sliceEnds = new java.util.TreeSet<>();
    for (NodeProto n : g.getNodeList()) {
      String w = n.getOpType().equals("MatMul") ? n.getInput(1) : "";
      if (!weights.containsKey(w) || graphInputs.contains(w)) {
        out.addNode(n);
        continue;
      }
      String[] q = quantized.computeIfAbsent(w, k -> new String[] {k + "_q", k + "_scale"});
      long cols = weights.get(w).getDims(1);
      long padded = padded(cols);
      String p = "q8_" + (counter++);
      String xq = p + "_x";
      String aScale = p + "_a_scale";
      String aZero = p + "_a_zero";
      out.addNode(
          node("DynamicQuantizeLinear", p, new String[] {n.getInput(0)}, xq, aScale, aZero));
      String acc = p + "_acc";
      out.addNode(node("MatMulInteger", p + "_mm", new String[] {xq, q[0], aZero}, acc));
      String accF = p + "_accf";
      NodeProto cast = node("Cast", p + "_cast", new String[] {acc}, accF);
      out.addNode(
          cast.toBuilder()
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("to")
                      .setType(AttributeProto.AttributeType.INT)
                      .setI(TensorProto.DataType.FLOAT_VALUE))
              .build());
      String scale = p + "_ab_scale";
      out.addNode(node("Mul", p + "_scale", new String[] {aScale, q[1]}, scale));
      if (padded == cols) {
        out.addNode(node("Mul", p + "_out", new String[] {accF, scale}, n.getOutput(0)));
        continue;
      }
      String wide = p + "_wide";
      out.addNode(node("Mul", p + "_out", new String[] {accF, scale}, wide));
      String ends = "q8_slice_end_" + cols;
      sliceEnds.add(cols);
      out.addNode(
          node(
              "Slice",
              p + "_slice",
              new String[] {wide, SLICE_START, ends, SLICE_AXIS},
              n.getOutput(0)));
    }
    Set<String> stillRead = new HashSet<>();
    out.getNodeList().forEach(n -> stillRead.addAll(n.getInputList()));
    out.clearInitializer();
    for (TensorProto t : g.getInitializerList()) {
      String[] q = quantized.get(t.getName());
      if (q == null || stillRead.contains(t.getName())) {
        out.addInitializer(t);
      }
      if (q != null) {
        Quantized w = padColumns(quantize(t), (int) t.getDims(0), (int) padded(t.getDims(1)));
        out.addInitializer(
            TensorProto.newBuilder()
                .setName(q[0])
                .setDataType(TensorProto.DataType.INT8_VALUE)
                .addDims(t.getDims(0))
                .addDims(w.scale().length)
                .setRawData(ByteString.copyFrom(w.values())));
        ByteBuffer bb = ByteBuffer.allocate(w.scale().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(w.scale());
        out.addInitializer(
            TensorProto.newBuilder()
                .setName(q[1])
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(w.scale().length)
                .setRawData(ByteString.copyFrom(bb.array())));
      }
    }
    if (!sliceEnds.isEmpty()) {
      out.addInitializer(longs(SLICE_START, 0));
      out.addInitializer(longs(SLICE_AXIS, -1));
      sliceEnds.forEach(c -> out.addInitializer(longs("q8_slice_end_" + c, c)));
    }
    return model.toBuilder()
        .setGraph(out)
        .addMetadataProps(
            ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder()
                .setKey(QUANTIZE_KEY)
                .setValue(INT8))
        .build();
  }

  private static final String SLICE_START = "q8_slice_start";
  private static final String SLICE_AXIS = "q8_slice_axis";

  /** {@code n} rounded up to a multiple of {@link #N_ALIGN}. */
  static long padded(long n) {
    return (n + N_ALIGN - 1) / N_ALIGN * N_ALIGN;
  }

  /**
   * {@code q} ({@code [k, q.scale().length]}) widened to {@code [k, cols]} with zero columns of
   * scale 1; {@code q} itself when it is that wide already.
   */
  static Quantized padColumns(Quantized q, int k, int cols) {
    int n = q.scale().length;
    if (cols == n) {
      return q;
    }
    byte[] v = new byte[k * cols];
    for (int i = 0; i < k; i++) {
      System.arraycopy(q.values(), i * n, v, i * cols, n);
    }
    float[] scale = new float[cols];
    java.util.Arrays.fill(scale, 1f);
    System.arraycopy(q.scale(), 0, scale, 0, n);
    return new Quantized(v, scale);
  }

  private static TensorProto longs(String name, long value) {
    ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(value);
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(1)
        .setRawData(ByteString.copyFrom(bb.array()))
        .build();
  }

  /**
   * A weight quantized per column.
   *
   * @param values int8 {@code [K, N]} row-major
   * @param scale {@code [N]}, the dequantized weight is {@code values[k, n] * scale[n]}
   */
  public record Quantized(byte[] values, float[] scale) {}

  /**
   * Symmetric per-column int8 quantization of a float {@code [K, N]} tensor: {@code scale[n] =
   * max_k |W[k, n]| / 127} (1 for an all-zero column), values rounded half away from zero and
   * clamped to [-127, 127].
   *
   * @throws IllegalArgumentException when {@code t} is not a 2-D float tensor with raw data
   */
  public static Quantized quantize(TensorProto t) {
    if (t.getDimsCount() != 2 || t.getRawData().isEmpty()) {
      throw new IllegalArgumentException("'" + t.getName() + "' is not a 2-D raw float tensor");
    }
    int k = (int) t.getDims(0);
    int nCols = (int) t.getDims(1);
    FloatBuffer f =
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] scale = new float[nCols];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < nCols; j++) {
        scale[j] = Math.max(scale[j], Math.abs(f.get(i * nCols + j)));
      }
    }
    for (int j = 0; j < nCols; j++) {
      scale[j] = scale[j] == 0 ? 1f : scale[j] / 127f;
    }
    byte[] q = new byte[k * nCols];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < nCols; j++) {
        long r = Math.round(Math.abs(f.get(i * nCols + j) / scale[j]));
        q[i * nCols + j] = (byte) (Math.signum(f.get(i * nCols + j)) * Math.min(127, r));
      }
    }
    return new Quantized(q, scale);
  }

  private static NodeProto node(String op, String name, String[] inputs, String... outputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name + "_node");
    for (String i : inputs) {
      n.addInput(i);
    }
    for (String o : outputs) {
      n.addOutput(o);
    }
    return n.build();
  }
}
