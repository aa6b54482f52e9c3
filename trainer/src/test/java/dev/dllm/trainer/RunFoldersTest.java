package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new run is never written into a checkpoint folder or inside another run's folder. */
class RunFoldersTest {
  @TempDir Path tmp;

  private Path fakeRun() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Path ck = Files.createDirectories(run.resolve("checkpoint"));
    Files.writeString(ck.resolve("config.json"), "{}");
    Files.writeString(ck.resolve("model.safetensors"), "x");
    Files.writeString(run.resolve("train-report.json"), "{}");
    return run;
  }

  private static List<Path> files(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.sorted().toList();
    }
  }

  private InvalidInputException refused(Path out) {
    Trainer t =
        new Trainer(
                TrainerResumeTest.tiny("ar", out).steps(1).build(),
                new PrintStream(new ByteArrayOutputStream()))
            .injectNan(
                s -> {
                  throw new AssertionError("trained before refusing");
                });
    return assertThrows(InvalidInputException.class, t::run);
  }

  @Test
  void outInsideARunOrItsCheckpointIsRefusedNamingThePath() throws Exception {
    Path run = fakeRun();
    List<Path> before = files(run);
    Path ck = run.resolve("checkpoint");
    InvalidInputException e = refused(ck);
    assertTrue(
        e.getMessage().contains("--out " + ck + " is the checkpoint folder " + ck), e.getMessage());
    e = refused(ck.resolve("new"));
    assertTrue(e.getMessage().contains("is inside the checkpoint folder " + ck), e.getMessage());
    e = refused(run.resolve("sub"));
    assertTrue(
        e.getMessage()
            .contains("--out " + run.resolve("sub") + " is inside the training run " + run),
        e.getMessage());
    assertEquals(before, files(run), "nothing written");
  }

  @Test
  void aPlainFolderNamedCheckpointAboveDoesNotCount() throws Exception {
    Path parent = Files.createDirectories(tmp.resolve("home"));
    Files.createDirectories(parent.resolve("checkpoint"));
    RunFolders.refuseInsideRun(parent.resolve("runs").resolve("a"));
  }
}
