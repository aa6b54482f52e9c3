package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm distill} in a child JVM (PyTorch's native warnings go to the process' stderr, which
 * the in-process tests cannot see): the teacher refreshes print no "AutoNonVariableTypeMode is
 * deprecated" warning (DJL's {@code NDArray.set} emits it, once per process).
 */
class DistillStderrTest {
  @TempDir Path tmp;

  private String[] dllm(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    return cmd.toArray(new String[0]);
  }

  private String run(String... args) throws Exception {
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p =
        new ProcessBuilder(dllm(args))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", args));
    }
    String e = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), e);
    return e;
  }

  @Test
  void teacherRefreshesPrintNoPyTorchDeprecationWarning() throws Exception {
    Path teacher = tmp.resolve("teacher");
    run(CliRun.tinyTrain("duo", teacher));
    String err =
        run(
            "distill",
            "--checkpoint",
            teacher.toString(),
            "--out",
            tmp.resolve("d").toString(),
            "--rounds",
            "3",
            "--steps-per-round",
            "1",
            "--grid",
            "4",
            "--threads",
            "1",
            "--val-batches",
            "1");
    assertFalse(err.contains("AutoNonVariableTypeMode"), err);
  }
}
