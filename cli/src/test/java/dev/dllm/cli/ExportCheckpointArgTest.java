package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code dllm export --checkpoint} accepts: a run folder stands for its {@code checkpoint/}
 * (as {@code distill --checkpoint} and {@code sample/eval --model RUN} take run folders), and an
 * ONNX export given instead of a checkpoint is named as such (exit 2, one line), not reported as a
 * missing {@code config.json}.
 */
class ExportCheckpointArgTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** A run folder as dllm train writes it: RUN/checkpoint/ (and an export in RUN/onnx). */
  private Path runFolder() throws Exception {
    Path run = tmp.resolve("run");
    Path onnx = TinyExports.export("mdlm", 3, run.resolve("onnx"));
    Files.move(onnx.resolveSibling("onnx-checkpoint"), run.resolve("checkpoint"));
    return run;
  }

  @Test
  void aRunFolderIsExportedFromItsCheckpoint() throws Exception {
    Path run = runFolder();
    Path out = tmp.resolve("again");
    assertEquals(
        0,
        run("export", "--checkpoint", run.toString(), "--out", out.toString()),
        err.toString(StandardCharsets.UTF_8));
    assertTrue(Files.isRegularFile(out.resolve("model.onnx")));
  }

  @Test
  void anExportGivenAsCheckpointIsNamedAsAnExport() throws Exception {
    Path onnx = runFolder().resolve("onnx");
    Path out = tmp.resolve("x");
    int rc = run("export", "--checkpoint", onnx.toString(), "--out", out.toString());
    String msg = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals(2, rc, msg);
    assertEquals(1, msg.lines().count(), msg);
    assertTrue(msg.contains("--checkpoint " + onnx), msg);
    assertTrue(msg.contains("is an ONNX export"), msg);
    assertFalse(Files.exists(out.resolve("model.onnx")));
  }
}
