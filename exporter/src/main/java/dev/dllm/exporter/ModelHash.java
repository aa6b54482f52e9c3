package dev.dllm.exporter;

import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model hash written into every graph of an export ({@link ExportMetadata#MODEL_HASH_KEY}) and
 * into {@code export-report.json}: SHA-256 over the DiT config and every tensor (name, shape,
 * float32 bits little-endian), in name order. Two exports of the same weights get the same hash;
 * the runtime refuses a folder whose graphs carry different hashes.
 */
public final class ModelHash {
  private ModelHash() {}

  /** Lower-case hex SHA-256 of {@code weights}. */
  public static String of(DitWeights weights) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    sha.update(
        ExportMetadata.modelMap(weights.config()).toString().getBytes(StandardCharsets.UTF_8));
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, Tensor> e : new TreeMap<>(weights.tensors()).entrySet()) {
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      for (int d : e.getValue().shape()) {
        chunk.putInt(d);
      }
      for (float f : e.getValue().data()) {
        if (chunk.remaining() < 4) {
          sha.update(chunk.array(), 0, chunk.position());
          chunk.clear();
        }
        chunk.putFloat(f);
      }
      sha.update(chunk.array(), 0, chunk.position());
      chunk.clear();
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
