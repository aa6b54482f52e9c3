package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.engine.Engine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run on a thread other than the one that loaded the engine (a Spark task, a pool thread) trains
 * like one on that thread: PyTorch's grad mode is per thread, so the trainer turns it off itself.
 */
class TrainerThreadTest {
  @Test
  void trainsOnAnotherThreadTheSameLoss(@TempDir Path tmp) throws Exception {
    Engine.getEngine("PyTorch"); // loaded here: DJL turns grad mode off on this thread only
    TrainReport here =
        new Trainer(
                TrainerResumeTest.tiny("ar", tmp.resolve("here")).steps(3).build(),
                new PrintStream(new ByteArrayOutputStream()))
            .run();
    AtomicReference<TrainReport> there = new AtomicReference<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                there.set(
                    new Trainer(
                            TrainerResumeTest.tiny("ar", tmp.resolve("there")).steps(3).build(),
                            new PrintStream(new ByteArrayOutputStream()))
                        .run());
              } catch (Throwable e) {
                error.set(e);
              }
            });
    t.start();
    t.join();
    assertNull(error.get(), () -> "trainer on a new thread failed: " + error.get());
    assertEquals(here.lossTrace(), there.get().lossTrace());
    assertEquals(here.valNll(), there.get().valNll());
  }
}
