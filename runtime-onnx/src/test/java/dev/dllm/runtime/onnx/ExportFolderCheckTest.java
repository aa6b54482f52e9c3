package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export folder whose files come from different exports is refused before running, naming the
 * file (issue 7 §4); a file that is not ONNX says so before ONNX Runtime's text.
 */
class ExportFolderCheckTest {
  @TempDir Path tmp;

  private InvalidInputException refused(Path p) {
    return assertThrows(InvalidInputException.class, () -> OnnxModel.open(p, OrtConfig.defaults()));
  }

  @Test
  void modelOnnxOfAnotherFamilyIsNamed() throws Exception {
    Path dir = OrtFaultTest.copyFixture("mdlm-tiny", tmp.resolve("mix"));
    Files.copy(
        OnnxRuntimeTest.fixture("ar-tiny").resolve("model.onnx"),
        dir.resolve("model.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException e = refused(dir);
    assertTrue(
        e.getMessage()
            .startsWith(dir.resolve("model.onnx") + " does not belong to this export folder:"),
        e.getMessage());
    assertTrue(e.getMessage().contains("it is family ar"), e.getMessage());
    assertTrue(e.getMessage().contains("export-report.json is family mdlm"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
  }

  @Test
  void decodeOnnxOfAnotherFamilyIsNamed() throws Exception {
    Path dir = OrtFaultTest.copyFixture("mdlm-tiny", tmp.resolve("mix"));
    Files.copy(
        OnnxRuntimeTest.fixture("ar-tiny").resolve("decode.onnx"), dir.resolve("decode.onnx"));
    InvalidInputException e = refused(dir);
    assertTrue(
        e.getMessage()
            .startsWith(dir.resolve("decode.onnx") + " does not belong to this export folder:"),
        e.getMessage());
    assertTrue(e.getMessage().contains("but model.onnx is family mdlm"), e.getMessage());
  }

  @Test
  void graphsOfTheWrongKindAreNamed() throws Exception {
    Path dir = OrtFaultTest.copyFixture("ar-tiny", tmp.resolve("mix"));
    Files.copy(
        dir.resolve("model.onnx"), dir.resolve("decode.onnx"), StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException e = refused(dir);
    assertTrue(
        e.getMessage().startsWith(dir.resolve("decode.onnx") + " is a 'full' graph"),
        e.getMessage());
  }

  @Test
  void unreadableReportIsNamed() throws Exception {
    Path dir = OrtFaultTest.copyFixture("mdlm-tiny", tmp.resolve("mix"));
    Files.writeString(dir.resolve("export-report.json"), "{ not json");
    InvalidInputException e = refused(dir);
    assertTrue(
        e.getMessage().startsWith(dir.resolve("export-report.json") + " is not a readable"),
        e.getMessage());
  }

  @Test
  void garbageIsNotAnOnnxModel() throws Exception {
    Path garbage = Files.writeString(tmp.resolve("garbage.onnx"), "this is not a model\n");
    InvalidInputException e = refused(garbage);
    assertTrue(
        e.getMessage().startsWith("garbage.onnx is not an ONNX model (" + garbage + ");"),
        e.getMessage());
    int ours = e.getMessage().indexOf("not an ONNX model");
    int theirs = e.getMessage().indexOf("ONNX Runtime says: ");
    assertTrue(ours >= 0 && theirs > ours, e.getMessage());
    // the same inside an export folder, and with the CUDA provider requested (no fallback warning)
    Path dir = OrtFaultTest.copyFixture("mdlm-tiny", tmp.resolve("bad"));
    Files.copy(garbage, dir.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
    InvalidInputException f =
        assertThrows(
            InvalidInputException.class,
            () -> OnnxModel.open(dir, OrtConfig.defaults().withProvider("cuda")));
    assertTrue(f.getMessage().startsWith("model.onnx is not an ONNX model ("), f.getMessage());
    Path empty = Files.writeString(tmp.resolve("empty.onnx"), "");
    assertTrue(refused(empty).getMessage().startsWith("empty.onnx is not an ONNX model"));
  }

  @Test
  void consistentFixturesStillOpen() throws Exception {
    for (String name : new String[] {"mdlm-tiny", "ar-tiny"}) {
      try (OnnxModel m = OnnxModel.open(OnnxRuntimeTest.fixture(name), OrtConfig.defaults())) {
        assertEquals(name.substring(0, name.indexOf('-')), m.family().name());
      }
    }
  }
}
