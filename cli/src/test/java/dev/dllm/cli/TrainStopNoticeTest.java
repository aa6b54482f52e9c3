package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The line {@code dllm train} prints when stopped by a signal (the message and the checkpoint step
 * it reads; the signal itself is not sent).
 */
class TrainStopNoticeTest {
  @TempDir Path tmp;

  @Test
  void namesTheLastCheckpointStepAndTheResumeCommand() {
    CliRun cli = new CliRun();
    Path run = tmp.resolve("run");
    // 2 steps: the checkpoint written at the end records step 2
    assertEquals(0, cli.run(CliRun.tinyTrain("mdlm", run)), cli.err());
    Long step = TrainStopNotice.checkpointStep(run.resolve("checkpoint"));
    assertEquals(2L, step);
    assertEquals(
        "stopped at step 2 (the last checkpoint); resume with: dllm train --resume " + run,
        TrainStopNotice.message(run, step));
  }

  @Test
  void withoutACheckpointSaysThereIsNothingToResume() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("empty run"));
    assertNull(TrainStopNotice.checkpointStep(run.resolve("checkpoint")));
    assertEquals(
        "stopped before the first checkpoint: nothing to resume in '" + run + "'",
        TrainStopNotice.message(run, null));
  }

  @Test
  void quotesAPathTheShellWouldSplit() {
    assertEquals("runs/a-1.b", TrainStopNotice.shellWord(Path.of("runs/a-1.b")));
    assertEquals("'my runs/it'\\''s'", TrainStopNotice.shellWord(Path.of("my runs/it's")));
  }
}
