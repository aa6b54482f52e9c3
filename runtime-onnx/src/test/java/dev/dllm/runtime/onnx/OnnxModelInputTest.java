package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening the wrong kind of directory, and recognising allocation failures. */
class OnnxModelInputTest {
  @TempDir Path tmp;

  @Test
  void checkpointDirectoryIsNamedAsSuch() throws Exception {
    Files.writeString(tmp.resolve("model.safetensors"), "");
    Files.writeString(tmp.resolve("config.json"), "{}");
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> OnnxModel.open(tmp, new OrtConfig("cpu", 0, "basic")));
    assertTrue(e.getMessage().contains("is a training checkpoint, not an export"), e.getMessage());
    assertTrue(
        e.getMessage().contains("dllm export --checkpoint " + tmp + " --out EXPORT_DIR"),
        e.getMessage());
  }

  @Test
  void allocationFailuresAreRecognised() {
    assertTrue(
        OnnxSessions.isAllocationFailure(
            new IllegalStateException(
                "x", new OrtException("Failed to allocate memory for requested buffer"))));
    assertFalse(
        OnnxSessions.isAllocationFailure(
            new IllegalStateException("x", new OrtException("Invalid input name"))));
    assertFalse(OnnxSessions.isAllocationFailure(new IllegalStateException("alloc")));
  }
}
