package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every graph and the report of an export carry the same model hash; a folder mixing graphs of two
 * models of the same family is refused naming the file (issue 7 §4).
 */
class ModelHashTest {
  @TempDir Path tmp;

  static String graphHash(Path onnx) throws Exception {
    try (OrtSession s =
        OrtEnvironment.getEnvironment()
            .createSession(onnx.toString(), new OrtSession.SessionOptions())) {
      return s.getMetadata().getCustomMetadata().get(ExportMetadata.MODEL_HASH_KEY);
    }
  }

  @Test
  void graphsAndReportShareTheHashAndMixedFoldersAreRefused() throws Exception {
    DitConfig cfg = RandomDit.config(40, Attention.CAUSAL);
    DitWeights a = RandomDit.weights(cfg, 1);
    DitWeights b = RandomDit.weights(cfg, 2);
    Path ea = OnnxExport.write(a, TestModels.metadata("ar", cfg, 8), tmp.resolve("a")).directory();
    Path eb = OnnxExport.write(b, TestModels.metadata("ar", cfg, 8), tmp.resolve("b")).directory();
    String ha = ModelHash.of(a);
    assertEquals(64, ha.length());
    assertEquals(ha, ModelHash.of(RandomDit.weights(cfg, 1)), "same weights, same hash");
    assertNotEquals(ha, ModelHash.of(b));
    assertEquals(ha, graphHash(ea.resolve("model.onnx")));
    assertEquals(ha, graphHash(ea.resolve("decode.onnx")));
    assertEquals(
        ha,
        new ObjectMapper()
            .readTree(ea.resolve("export-report.json").toFile())
            .get("model_hash")
            .asText());
    try (OnnxModel m = OnnxModel.open(ea, OrtConfig.defaults())) {
      assertEquals("ar", m.family().name());
    }

    // decode.onnx of model b in the folder of model a
    Files.copy(
        eb.resolve("decode.onnx"), ea.resolve("decode.onnx"), StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> OnnxModel.open(ea, OrtConfig.defaults()));
    assertTrue(
        e.getMessage().startsWith(ea.resolve("decode.onnx") + " does not belong to this export"),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("model hash " + ModelHash.of(b).substring(0, 12)), e.getMessage());
    assertTrue(e.getMessage().contains("model hash " + ha.substring(0, 12)), e.getMessage());

    // model.onnx of model b (and its matching decode graph) under a's report
    Files.copy(
        eb.resolve("model.onnx"), ea.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException f =
        assertThrows(InvalidInputException.class, () -> OnnxModel.open(ea, OrtConfig.defaults()));
    assertTrue(
        f.getMessage().startsWith(ea.resolve("model.onnx") + " does not belong to this export"),
        f.getMessage());
    assertTrue(f.getMessage().contains("export-report.json is family ar"), f.getMessage());
  }
}
