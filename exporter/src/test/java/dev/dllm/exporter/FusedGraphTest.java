package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The full graph's attention and GELU are ONNX Runtime's fused contrib ops (issue 20): per block
 * one MultiHeadAttention, two RotaryEmbedding and one FastGelu, no Softmax, Transpose or Tanh; the
 * cached graphs and the sorted-causal full graph keep the standard form. That they compute the same
 * function is {@link ExportParityTest} (against the float64 reference and DJL) and {@link
 * BlockKvTest} (the standard-form block graph with an empty past = the full graph).
 */
class FusedGraphTest {
  private static Map<String, Long> ops(ModelProto m) {
    return m.getGraph().getNodeList().stream()
        .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
  }

  private static boolean importsMs(ModelProto m) {
    return m.getOpsetImportList().stream()
        .anyMatch(o -> o.getDomain().equals(OnnxEmitter.MS_DOMAIN) && o.getVersion() == 1);
  }

  @ParameterizedTest
  @EnumSource(
      value = Attention.class,
      names = {"BIDIRECTIONAL", "CAUSAL"})
  void fullGraphUsesFusedOps(Attention attention) {
    DitConfig cfg = RandomDit.config(37, attention);
    DitWeights w = RandomDit.weights(cfg, 11);
    ModelProto full = DitOnnx.full(w, Map.of());
    assertEquals(List.of(), OnnxGraphCheck.problems(full));
    Map<String, Long> ops = ops(full);
    long blocks = cfg.blocks();
    assertEquals(blocks, ops.get("MultiHeadAttention"), ops.toString());
    assertEquals(2 * blocks, ops.get("RotaryEmbedding"), ops.toString());
    assertEquals(blocks, ops.get("FastGelu"), ops.toString());
    for (String gone : List.of("Softmax", "Transpose", "Tanh", "Where")) {
      assertEquals(null, ops.get(gone), gone + " in " + ops);
    }
    assertTrue(importsMs(full));
    for (NodeProto n : full.getGraph().getNodeList()) {
      if (n.getOpType().equals("MultiHeadAttention")) {
        long unidirectional =
            n.getAttributeList().stream()
                .filter(a -> a.getName().equals("unidirectional"))
                .findFirst()
                .orElseThrow()
                .getI();
        assertEquals(attention == Attention.CAUSAL ? 1 : 0, unidirectional);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Attention.class,
      names = {"BIDIRECTIONAL", "CAUSAL", "SORTED_CAUSAL"})
  void cachedAndSortedGraphsKeepTheStandardAttention(Attention attention) {
    DitConfig cfg = RandomDit.config(37, attention);
    DitWeights w = RandomDit.weights(cfg, 11);
    Function<ModelProto, Map<String, Long>> check =
        m -> {
          assertEquals(List.of(), OnnxGraphCheck.problems(m));
          Map<String, Long> ops = ops(m);
          assertEquals(cfg.blocks(), ops.get("Softmax"), ops.toString());
          assertEquals(null, ops.get("MultiHeadAttention"), ops.toString());
          assertEquals(cfg.blocks(), ops.get("FastGelu"), ops.toString());
          return ops;
        };
    check.apply(
        attention == Attention.BIDIRECTIONAL
            ? DitOnnx.block(w, Map.of())
            : DitOnnx.decode(w, Map.of()));
    if (attention == Attention.SORTED_CAUSAL) {
      check.apply(DitOnnx.full(w, Map.of()));
    }
  }
}
