package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --out} is checked before any training: no run is replaced, a file in the way is named. */
class TrainerOutTest {
  @TempDir Path tmp;

  private static InvalidInputException refused(TrainConfig cfg) {
    // a step would fail the test loudly: the refusal must come before training
    Trainer t =
        new Trainer(cfg, new PrintStream(new ByteArrayOutputStream()))
            .injectNan(
                s -> {
                  throw new AssertionError("trained step " + s + " before refusing");
                });
    return assertThrows(InvalidInputException.class, t::run);
  }

  @Test
  void outHoldingARunIsRefusedWithoutResume() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(out.resolve("train-report.json"), "{\"steps\": 7}");
    InvalidInputException e = refused(TrainerResumeTest.tiny("ar", out).steps(2).build());
    assertTrue(e.getMessage().contains(out + " already holds a training run"), e.getMessage());
    assertTrue(e.getMessage().contains("--resume " + out), e.getMessage());
    assertEquals("{\"steps\": 7}", Files.readString(out.resolve("train-report.json")));

    Path other = Files.createDirectories(tmp.resolve("other").resolve("checkpoint"));
    Path withCk = Files.createDirectories(tmp.resolve("ck").resolve("checkpoint")).getParent();
    e = refused(TrainerResumeTest.tiny("ar", withCk).steps(2).build());
    assertTrue(e.getMessage().contains("already holds a training run"), e.getMessage());
    // resuming another run into it would replace it too
    e = refused(TrainerResumeTest.tiny("ar", withCk).steps(2).resume(other).build());
    assertTrue(e.getMessage().contains("already holds another training run"), e.getMessage());
  }

  @Test
  void outThatIsAFileOrUnderAFileIsRefusedUpFront() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
    InvalidInputException e = refused(TrainerResumeTest.tiny("ar", file).steps(2).build());
    assertTrue(e.getMessage().contains("--out " + file + " is a file"), e.getMessage());

    Path under = file.resolve("run");
    e = refused(TrainerResumeTest.tiny("ar", under).steps(2).build());
    assertTrue(e.getMessage().contains("--out " + under), e.getMessage());
    assertTrue(e.getMessage().contains(file + " is a file"), e.getMessage());
    assertFalse(e.getMessage().contains("previous one is kept"), e.getMessage());
    assertEquals("x", Files.readString(file));
  }
}
