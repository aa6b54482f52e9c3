package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtEnvironment;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.runtime.onnx.OnnxDenoiser;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs whose {@code tokens} input is int32 (other exporters) get int32 ids; a float input is
 * rejected with a message naming int64. The probe graph returns logits[b, l, v] = id[b, l] · (v +
 * 1), so the ids that reached ONNX Runtime can be read back exactly.
 */
class TokenTypeTest {
  @TempDir Path tmp;

  static Path probe(Path file, DataType idType, int vocab) throws Exception {
    OnnxEmitter g = new OnnxEmitter("probe");
    String t = g.input("tokens", idType, "batch", "seq");
    g.input("sigma", DataType.FLOAT, "batch");
    float[] ramp = new float[vocab];
    for (int v = 0; v < vocab; v++) {
      ramp[v] = v + 1;
    }
    String x = g.unsqueeze(g.cast(t, DataType.FLOAT), 2);
    g.output(
        g.mul(x, g.floats("ramp", ramp, vocab)), "logits", DataType.FLOAT, "batch", "seq", vocab);
    try (OutputStream os = Files.newOutputStream(file)) {
      g.model(Map.of()).writeTo(os);
    }
    return file;
  }

  @Test
  void int32GraphGetsInt32IdsAndFloatGraphIsRejected() throws Exception {
    int vocab = 7;
    DitConfig cfg = RandomDit.config(vocab, Attention.BIDIRECTIONAL);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (DataType type : new DataType[] {DataType.INT32, DataType.INT64}) {
      Path f = probe(tmp.resolve(type + ".onnx"), type, vocab);
      try (OnnxDenoiser d =
          new OnnxDenoiser(
              env,
              OnnxSessions.open(env, f, OrtConfig.defaults()).session(),
              null,
              TestModels.metadata("mdlm", cfg, 4))) {
        int[] ids = {6, 0, 3, 5, 1, 2};
        Logits l = d.forward(new TokenBatch(ids, 2, 3), null);
        for (int i = 0; i < ids.length; i++) {
          for (int v = 0; v < vocab; v++) {
            assertEquals(ids[i] * (v + 1f), l.values()[i * vocab + v], type + " id " + i);
          }
        }
      }
    }
    Path f = probe(tmp.resolve("float.onnx"), DataType.FLOAT, vocab);
    var session = OnnxSessions.open(env, f, OrtConfig.defaults()).session();
    try {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> new OnnxDenoiser(env, session, null, TestModels.metadata("mdlm", cfg, 4)));
      assertTrue(e.getMessage().contains("int64"), e.getMessage());
    } finally {
      session.close();
    }
  }
}
