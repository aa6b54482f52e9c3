package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GemmCeilingTest {
  @TempDir Path dir;

  /** The closed-form count equals Σ 2·M·N·K read off the MatMul nodes of the written graph. */
  @Test
  void flopsEqualTheMatMulsOfTheGraph() throws Exception {
    DitConfig c = new DitConfig(37, 16, 2, 4, 8, BackboneSpec.Attention.BIDIRECTIONAL, 0.0);
    try (GemmCeiling ceiling =
        GemmCeiling.open(
            c, 3, 10, dir, OrtEnvironment.getEnvironment(), OrtConfig.defaults().withThreads(1))) {
      ceiling.run();
      ModelProto m;
      try (InputStream in = Files.newInputStream(dir.resolve("gemm-ceiling.onnx"))) {
        m = ModelProto.parseFrom(in);
      }
      Map<String, List<Long>> shapes = new HashMap<>();
      for (ValueInfoProto v : m.getGraph().getInputList()) {
        shapes.put(v.getName(), dims(v));
      }
      for (TensorProto t : m.getGraph().getInitializerList()) {
        shapes.put(t.getName(), t.getDimsList());
      }
      double flops = 0;
      int matMuls = 0;
      for (NodeProto n : m.getGraph().getNodeList()) {
        if (n.getOpType().equals("MatMul")) {
          List<Long> a = shapes.get(n.getInput(0));
          List<Long> b = shapes.get(n.getInput(1));
          double batch = 1;
          for (int i = 0; i < a.size() - 2; i++) {
            batch *= a.get(i);
          }
          long rows = a.get(a.size() - 2);
          long inner = a.get(a.size() - 1);
          assertEquals(inner, (long) b.get(b.size() - 2), n.getName());
          flops += 2 * batch * rows * inner * b.get(b.size() - 1);
          matMuls++;
        }
      }
      assertEquals(2 * 7 + 2, matMuls);
      assertEquals(flops, ceiling.flops(), 1e-6 * flops);
      assertEquals(flops, GemmCeiling.flops(c, 3, 10), 1e-6 * flops);
      assertTrue(flops > 0);
    }
  }

  private static List<Long> dims(ValueInfoProto v) {
    return v.getType().getTensorType().getShape().getDimList().stream()
        .map(TensorShapeProto.Dimension::getDimValue)
        .toList();
  }
}
