package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata round trip through ONNX Runtime, the structural check, and family lookup. */
class ExportMetadataTest {
  @TempDir Path tmp;

  @Test
  void metadataRoundTripRestoresFamilyTokenizerAndSpecials() {
    Tokenizer tok = Tokenizers.create("char", "the quick brown fox jumps over the lazy dog");
    DitConfig cfg = RandomDit.config(tok.vocabSize(), Attention.BIDIRECTIONAL);
    ExportMetadata md =
        new ExportMetadata(
            "mdlm",
            ExportMetadata.GRAPH_FULL,
            cfg,
            24,
            "{\"name\":\"log-linear\",\"eps\":0.001}",
            tok.spec(),
            tok.state(),
            tok.specials(),
            Map.of("steps", 120, "tokens", 30720, "flops", 1.5e12, "val_nll", 2.75),
            Map.of("time_conditioning", "false"));
    OnnxExport.write(RandomDit.weights(cfg, 1), md, tmp.resolve("m"));
    try (OnnxModel m = OnnxModel.open(tmp.resolve("m"), OrtConfig.defaults())) {
      ExportMetadata got = m.metadata();
      assertEquals("mdlm", m.family().name());
      assertEquals(cfg, got.model());
      assertEquals(24, got.seqLen());
      assertEquals(tok.specials(), got.specials());
      assertEquals(md.schedule(), got.schedule());
      assertEquals(120, ((Number) got.training().get("steps")).intValue());
      assertEquals(2.75, ((Number) got.training().get("val_nll")).doubleValue());
      assertEquals("false", got.familyMetadata().get("time_conditioning"));
      assertFalse(m.denoiser().hasDecodeGraph());
      Tokenizer restored = m.tokenizer();
      assertEquals(tok.vocabSize(), restored.vocabSize());
      assertEquals(tok.specials(), restored.specials());
      String text = "a lazy brown dog";
      assertArrayEquals(tok.encode(text), restored.encode(text));
      assertEquals(text, restored.decode(restored.encode(text)));
    }
  }

  @Test
  void unknownFamilyListsRegisteredFamilies() {
    DitConfig cfg = RandomDit.config(20, Attention.BIDIRECTIONAL);
    OnnxExport.write(
        RandomDit.weights(cfg, 2), TestModels.metadata("nosuch", cfg, 8), tmp.resolve("x"));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> OnnxModel.open(tmp.resolve("x"), OrtConfig.defaults()));
    assertTrue(e.getMessage().contains("nosuch"), e.getMessage());
    assertTrue(e.getMessage().contains("mdlm") && e.getMessage().contains("ar"), e.getMessage());
  }

  @Test
  void structuralCheckRejectsUndefinedInputAndTrilu() {
    DitConfig cfg = RandomDit.config(20, Attention.CAUSAL);
    ModelProto good = DitOnnx.full(RandomDit.weights(cfg, 3), Map.of());
    assertEquals(List.of(), OnnxGraphCheck.problems(good));
    assertTrue(
        good.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("Trilu")));

    ModelProto.Builder bad = good.toBuilder();
    bad.getGraphBuilder()
        .addNode(0, NodeProto.newBuilder().setOpType("Neg").addInput("nowhere").addOutput("n0"));
    List<String> p = OnnxGraphCheck.problems(bad.build());
    assertTrue(p.stream().anyMatch(s -> s.contains("'nowhere'")), p.toString());
    assertThrows(IllegalStateException.class, () -> OnnxGraphCheck.check(bad.build()));

    OnnxEmitter inf = new OnnxEmitter("inf");
    String y = inf.input("x", DataType.FLOAT, 2);
    inf.output(
        inf.add(y, inf.floats("bias", new float[] {0f, Float.NEGATIVE_INFINITY}, 2)),
        "y",
        DataType.FLOAT,
        2);
    assertTrue(
        OnnxGraphCheck.problems(inf.model(Map.of())).stream()
            .anyMatch(s -> s.contains("non-finite")));

    OnnxEmitter g = new OnnxEmitter("t");
    String x = g.input("x", DataType.FLOAT, 2, 2);
    g.output(g.op("Trilu", new String[] {x}), "y", DataType.FLOAT, 2, 2);
    assertTrue(
        OnnxGraphCheck.problems(g.model(Map.of())).stream().anyMatch(s -> s.contains("Trilu")));
  }

  @Test
  void failedExportKeepsThePreviousOne() throws Exception {
    DitConfig cfg = RandomDit.config(20, Attention.BIDIRECTIONAL);
    Path out = tmp.resolve("e");
    OnnxExport.write(RandomDit.weights(cfg, 4), TestModels.metadata("mdlm", cfg, 8), out);
    byte[] before = Files.readAllBytes(out.resolve("model.onnx"));
    DitConfig other = RandomDit.config(21, Attention.BIDIRECTIONAL);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            OnnxExport.write(
                RandomDit.weights(other, 4), TestModels.metadata("mdlm", cfg, 8), out));
    assertArrayEquals(before, Files.readAllBytes(out.resolve("model.onnx")));
  }
}
