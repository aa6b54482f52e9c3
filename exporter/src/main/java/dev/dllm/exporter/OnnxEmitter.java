package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A small ONNX op emitter over the generated {@code OnnxMl} protobuf classes (ecosystem.md §2):
 * every method appends one node (or initializer) to the graph under construction and returns the
 * name of its output, so graphs are written as straight-line code in topological order.
 *
 * <p>Opset 17 (LayerNormalization is a standard op from 17 on). Dynamic dimensions are {@code
 * dim_param} strings such as {@code "batch"}.
 */
public final class OnnxEmitter {
  /** The default-domain opset the emitted graphs import. */
  public static final int OPSET = 17;

  /** ONNX IR version written (IR 8 is understood by every ORT since 1.14). */
  public static final int IR_VERSION = 8;

  /** The domain of ONNX Runtime's contrib ops ({@link #msOp}). */
  public static final String MS_DOMAIN = "com.microsoft";

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private int counter;
  private boolean usesMsDomain;

  public OnnxEmitter(String graphName) {
    graph.setName(graphName);
  }

  /** A fresh value name with the given prefix. */
  public String fresh(String prefix) {
    return prefix + "_" + (counter++);
  }

  // ---------------------------------------------------------------- inputs, outputs, constants

  /**
   * Declares a graph input.
   *
   * @param dims each an {@link Integer}/{@link Long} (fixed) or a {@link String} (dim_param)
   */
  public String input(String name, TensorProto.DataType type, Object... dims) {
    graph.addInput(valueInfo(name, type, dims));
    return name;
  }

  /** Declares {@code value} as a graph output called {@code name} (adds an Identity if needed). */
  public void output(String value, String name, TensorProto.DataType type, Object... dims) {
    if (!value.equals(name)) {
      graph.addNode(node("Identity", new String[] {value}, new String[] {name}));
    }
    graph.addOutput(valueInfo(name, type, dims));
  }

  /** A float32 initializer with PyTorch row-major data. */
  public String floats(String name, float[] data, long... dims) {
    ByteBuffer bb = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(data);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(bb.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return name;
  }

  /** An int64 initializer (shape {@code dims}; no dims = scalar). */
  public String longs(String name, long[] data, long... dims) {
    ByteBuffer bb = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    bb.asLongBuffer().put(data);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.INT64_VALUE)
            .setRawData(ByteString.copyFrom(bb.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return name;
  }

  /** A 1-D int64 constant. */
  public String vec(long... values) {
    return longs(fresh("const_i64"), values, values.length);
  }

  /** A scalar int64 constant. */
  public String scalarLong(long value) {
    return longs(fresh("const_i64"), new long[] {value});
  }

  /** A scalar float32 constant. */
  public String scalar(float value) {
    return floats(fresh("const_f32"), new float[] {value});
  }

  // ---------------------------------------------------------------- generic node

  /** Appends {@code op(inputs)} with one output and returns the output name. */
  public String op(String opType, String[] inputs, AttributeProto... attributes) {
    String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
    NodeProto.Builder n = node(opType, inputs, new String[] {out}).toBuilder();
    for (AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    graph.addNode(n.build());
    return out;
  }

  /**
   * Appends ONNX Runtime contrib op {@code com.microsoft.opType(inputs)} with one output (the model
   * then imports the {@value #MS_DOMAIN} opset 1) and returns the output name.
   */
  public String msOp(String opType, String[] inputs, AttributeProto... attributes) {
    String out = op(opType, inputs, attributes);
    int last = graph.getNodeCount() - 1;
    graph.setNode(last, graph.getNode(last).toBuilder().setDomain(MS_DOMAIN));
    usesMsDomain = true;
    return out;
  }

  /** Appends {@code op(inputs)} with {@code outputs} outputs and returns their names. */
  public String[] opN(String opType, String[] inputs, int outputs, AttributeProto... attributes) {
    String[] outs = new String[outputs];
    for (int i = 0; i < outputs; i++) {
      outs[i] = fresh(opType.toLowerCase(java.util.Locale.ROOT));
    }
    NodeProto.Builder n = node(opType, inputs, outs).toBuilder();
    for (AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    graph.addNode(n.build());
    return outs;
  }

  public static AttributeProto attr(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static AttributeProto attr(String name, float value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF(value)
        .build();
  }

  public static AttributeProto attr(String name, long[] values) {
    AttributeProto.Builder a =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  // ---------------------------------------------------------------- ops used by the DiT

  public String add(String a, String b) {
    return op("Add", new String[] {a, b});
  }

  public String sub(String a, String b) {
    return op("Sub", new String[] {a, b});
  }

  public String mul(String a, String b) {
    return op("Mul", new String[] {a, b});
  }

  public String matMul(String a, String b) {
    return op("MatMul", new String[] {a, b});
  }

  public String unary(String opType, String x) {
    return op(opType, new String[] {x});
  }

  /** x * sigmoid(x). */
  public String silu(String x) {
    return mul(x, unary("Sigmoid", x));
  }

  /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  public String geluTanh(String x) {
    String x3 = mul(mul(x, x), x);
    String inner = mul(add(x, mul(x3, scalar(0.044715f))), scalar((float) Math.sqrt(2 / Math.PI)));
    String t = add(unary("Tanh", inner), scalar(1f));
    return mul(mul(x, t), scalar(0.5f));
  }

  /**
   * The same GELU (tanh approximation) of {@code x + bias} as one ONNX Runtime {@code
   * com.microsoft.FastGelu} node (its definition is the formula of {@link #geluTanh}).
   */
  public String fastGelu(String x, String bias) {
    return msOp("FastGelu", bias == null ? new String[] {x} : new String[] {x, bias});
  }

  /** y = x W^T + b for a PyTorch weight stored transposed as {@code wT [in, out]}. */
  public String linear(String x, String wT, String bias) {
    String y = matMul(x, wT);
    return bias == null ? y : add(y, bias);
  }

  /** LayerNormalization over the last axis, no bias (opset 17). */
  public String layerNorm(String x, String weight, float epsilon) {
    return op(
        "LayerNormalization",
        new String[] {x, weight},
        attr("axis", -1L),
        attr("epsilon", epsilon));
  }

  public String reshape(String x, long... shape) {
    return op("Reshape", new String[] {x, vec(shape)});
  }

  public String transpose(String x, long... perm) {
    return op("Transpose", new String[] {x}, attr("perm", perm));
  }

  public String unsqueeze(String x, long... axes) {
    return op("Unsqueeze", new String[] {x, vec(axes)});
  }

  public String concat(long axis, String... xs) {
    return op("Concat", xs, attr("axis", axis));
  }

  /** Splits {@code x} along {@code axis} into chunks of the given sizes. */
  public String[] split(String x, long axis, long... sizes) {
    return opN("Split", new String[] {x, vec(sizes)}, sizes.length, attr("axis", axis));
  }

  /** x[index] along {@code axis} with a scalar index (the axis disappears). */
  public String pick(String x, long axis, long index) {
    return op("Gather", new String[] {x, scalarLong(index)}, attr("axis", axis));
  }

  /** Dimension {@code axis} of {@code x} as an int64 scalar. */
  public String dim(String x, long axis) {
    return pick(op("Shape", new String[] {x}), 0, axis);
  }

  public String cast(String x, TensorProto.DataType to) {
    return op("Cast", new String[] {x}, attr("to", (long) to.getNumber()));
  }

  // ---------------------------------------------------------------- model

  /** The finished model with {@code metadata} as {@code metadata_props}. */
  public ModelProto model(Map<String, String> metadata) {
    ModelProto.Builder m =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName("dllm")
            .setProducerVersion("0.1.0")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setGraph(graph.build());
    if (usesMsDomain) {
      m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
    }
    metadata.forEach(
        (k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  // ---------------------------------------------------------------- helpers

  private static NodeProto node(String opType, String[] inputs, String[] outputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(outputs[0] + "_node");
    for (String i : inputs) {
      n.addInput(i);
    }
    for (String o : outputs) {
      n.addOutput(o);
    }
    return n.build();
  }

  static ValueInfoProto valueInfo(String name, TensorProto.DataType type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String s) {
        dim.setDimParam(s);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
        .build();
  }
}
