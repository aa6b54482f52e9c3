package dev.dllm.exporter;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A structural check of an emitted ONNX model (a small subset of {@code onnx.checker}): a
 * default-domain opset &ge; 17 is imported; nodes are in topological order (every node input is a
 * graph input, an initializer or an output of an earlier node); value names are defined once; every
 * graph output is produced; initializer data sizes match their dims; no {@code Trilu} node.
 */
public final class OnnxGraphCheck {
  private OnnxGraphCheck() {}

  /** Problems found, empty when the model passes. */
  public static List<String> problems(ModelProto model) {
    List<String> problems = new ArrayList<>();
    boolean opsetOk = false;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() && o.getVersion() >= OnnxEmitter.OPSET) {
        opsetOk = true;
      }
    }
    if (!opsetOk) {
      problems.add("no default-domain opset >= " + OnnxEmitter.OPSET + " imported");
    }
    GraphProto g = model.getGraph();
    Set<String> defined = new HashSet<>();
    for (ValueInfoProto in : g.getInputList()) {
      define(defined, in.getName(), "graph input", problems);
    }
    for (TensorProto t : g.getInitializerList()) {
      if (!g.getInputList().stream().anyMatch(i -> i.getName().equals(t.getName()))) {
        define(defined, t.getName(), "initializer", problems);
      }
      checkInitializer(t, problems);
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      if (n.getOpType().equals("Trilu")) {
        problems.add(
            "node " + i + " (" + n.getName() + ") is a Trilu; build masks with Range/Less");
      }
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !defined.contains(in)) {
          problems.add(
              "node "
                  + i
                  + " ("
                  + n.getOpType()
                  + " "
                  + n.getName()
                  + ") reads '"
                  + in
                  + "', which is not defined before it");
        }
      }
      for (String out : n.getOutputList()) {
        if (!out.isEmpty()) {
          define(defined, out, "node " + i + " output", problems);
        }
      }
    }
    for (ValueInfoProto out : g.getOutputList()) {
      if (!defined.contains(out.getName())) {
        problems.add("graph output '" + out.getName() + "' is never produced");
      }
    }
    return problems;
  }

  /**
   * Throws when {@link #problems} is not empty.
   *
   * @throws IllegalStateException listing the problems (at most 10)
   */
  public static void check(ModelProto model) {
    List<String> p = problems(model);
    if (!p.isEmpty()) {
      throw new IllegalStateException(
          "ONNX graph '"
              + model.getGraph().getName()
              + "' fails the structural check: "
              + String.join("; ", p.subList(0, Math.min(10, p.size()))));
    }
  }

  private static void define(Set<String> defined, String name, String what, List<String> problems) {
    if (!defined.add(name)) {
      problems.add(what + " '" + name + "' redefines an existing value");
    }
  }

  private static void checkInitializer(TensorProto t, List<String> problems) {
    long n = 1;
    for (long d : t.getDimsList()) {
      if (d < 0) {
        problems.add("initializer '" + t.getName() + "' has a negative dimension");
        return;
      }
      n *= d;
    }
    int width =
        switch (t.getDataType()) {
          case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE -> 4;
          case TensorProto.DataType.INT64_VALUE, TensorProto.DataType.DOUBLE_VALUE -> 8;
          case TensorProto.DataType.FLOAT16_VALUE, TensorProto.DataType.BFLOAT16_VALUE -> 2;
          case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE -> 1;
          default -> 0;
        };
    if (width == 0) {
      problems.add(
          "initializer '" + t.getName() + "' has unsupported data type " + t.getDataType());
      return;
    }
    long have;
    if (!t.getRawData().isEmpty()) {
      have = t.getRawData().size() / width;
      if (t.getRawData().size() % width != 0) {
        problems.add("initializer '" + t.getName() + "' raw data is not a multiple of " + width);
      }
    } else {
      have =
          switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> t.getFloatDataCount();
            case TensorProto.DataType.INT64_VALUE -> t.getInt64DataCount();
            case TensorProto.DataType.DOUBLE_VALUE -> t.getDoubleDataCount();
            default -> t.getInt32DataCount();
          };
    }
    if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && !t.getRawData().isEmpty()) {
      java.nio.FloatBuffer fb =
          t.getRawData()
              .asReadOnlyByteBuffer()
              .order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .asFloatBuffer();
      for (int i = 0; i < fb.limit(); i++) {
        if (!Float.isFinite(fb.get(i))) {
          problems.add("initializer '" + t.getName() + "' holds a non-finite value at index " + i);
          break;
        }
      }
    }
    if (have != n) {
      problems.add(
          "initializer '"
              + t.getName()
              + "' has dims "
              + t.getDimsList()
              + " ("
              + n
              + " values) but holds "
              + have);
    }
  }
}
