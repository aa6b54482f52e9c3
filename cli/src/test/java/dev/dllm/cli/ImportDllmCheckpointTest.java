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
 * {@code dllm import --from} a checkpoint that dllm itself wrote (a run's {@code checkpoint/}, or
 * the run folder): nothing to import, so it is refused naming the folder and the command that uses
 * it, not with the importer's "pass --length" (its config.json is not a published one).
 */
class ImportDllmCheckpointTest {
  @TempDir Path tmp;

  @Test
  void aDllmCheckpointIsNamedAndPointedToExport() throws Exception {
    Path onnx = TinyExports.export("mdlm", 3, tmp.resolve("run").resolve("onnx"));
    Path ck = tmp.resolve("run").resolve("checkpoint");
    Files.move(onnx.resolveSibling("onnx-checkpoint"), ck);
    for (Path from : new Path[] {ck, ck.getParent()}) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Path out = tmp.resolve("imported-" + from.getFileName());
      int rc =
          Main.run(
              new String[] {
                "import", "--from", from.toString(), "--family", "mdlm", "--out", out.toString()
              },
              new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      String e = err.toString(StandardCharsets.UTF_8).strip();
      assertEquals(2, rc, e);
      assertEquals(1, e.lines().count(), e);
      assertTrue(e.contains("--from " + from) && e.contains("already a dllm checkpoint"), e);
      assertTrue(e.contains("dllm export --checkpoint"), e);
      assertFalse(Files.exists(out));
    }
  }
}
