package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain progress lines (no terminal): never more than 10 s apart while steps complete. */
class ProgressLogTest {
  private long now;

  private List<String> lines(ByteArrayOutputStream buf) {
    return buf.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void slowStepsPrintALineAtLeastEveryTenSeconds() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    // 3 s per step, log every 1000 steps: only the time rule prints between first and last
    try (ProgressLog log = new ProgressLog(out, 0, 20, 1000, false, () -> now)) {
      for (int s = 0; s < 20; s++) {
        now += 3_000_000_000L;
        log.step(s, 2.5, 1e-3, 1000);
      }
    }
    List<String> l = lines(buf);
    // step 1 (t = 3 s), then steps 5, 9, 13, 17 (t = 15, 27, 39, 51 s: 12 s apart) and the last
    assertEquals(
        List.of(1, 5, 9, 13, 17, 20),
        l.stream().map(x -> Integer.parseInt(x.split("[ /]")[1])).toList(),
        String.join("\n", l));
    // step, loss, tokens/s (1000 tokens per 3 s) and ETA (3 steps left at 3 s each)
    assertEquals("step 17/20 loss 2.5000 lr 1.00e-03 tok/s 333 eta 0m09s", l.get(4));
  }

  @Test
  void fastStepsFollowLogEvery() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (ProgressLog log = new ProgressLog(out, 10, 40, 10, false, () -> now)) {
      for (int s = 10; s < 40; s++) {
        now += 100_000_000L;
        log.step(s, 1.0, 1e-3, 64);
      }
    }
    List<String> l = lines(buf);
    assertEquals(4, l.size(), String.join("\n", l)); // 11 (first of a resumed run), 20, 30, 40
    assertTrue(l.get(0).startsWith("step 11/40 "), l.get(0));
    assertTrue(l.get(3).startsWith("step 40/40 ") && l.get(3).endsWith("eta 0m00s"), l.get(3));
  }

  /** A loss that rounds to zero (a KL of -3e-6 from float rounding) prints 0.0000, not -0.0000. */
  @Test
  void aLossThatRoundsToZeroPrintsWithoutASign() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (ProgressLog log = new ProgressLog(out, 0, 2, 1, false, () -> now)) {
      now += 1_000_000_000L;
      log.step(0, -3e-6, 1e-3, 1000);
      now += 1_000_000_000L;
      log.step(1, -0.00006, 1e-3, 1000);
    }
    List<String> l = lines(buf);
    assertTrue(l.get(0).contains(" loss 0.0000 "), l.get(0));
    assertTrue(l.get(1).contains(" loss -0.0001 "), l.get(1));
  }

  @Test
  void fourPlacesDropsTheSignOfANegativeZeroOnly() {
    assertEquals("0.0000", LossFormat.fourPlaces(-0.0));
    assertEquals("0.0000", LossFormat.fourPlaces(-0.00004999));
    assertEquals("-0.0001", LossFormat.fourPlaces(-0.00005));
    assertEquals("1.2346", LossFormat.fourPlaces(1.23456));
    assertEquals("-2.5000", LossFormat.fourPlaces(-2.5));
    assertEquals("NaN", LossFormat.fourPlaces(Double.NaN));
  }
}
