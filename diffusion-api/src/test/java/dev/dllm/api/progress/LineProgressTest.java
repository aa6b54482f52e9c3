package dev.dllm.api.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain progress lines on a fake clock: when they come, and what they say. */
class LineProgressTest {
  private long now;
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private final ProgressReporter reporter =
      LineProgress.reporter(new PrintStream(buf, true, StandardCharsets.UTF_8), () -> now);

  private List<String> lines() {
    return buf.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void aLongPhasePrintsALineOnceTenSecondsHavePassed() {
    // 40 batches of 3 s: a line at the first batch 10 s or more after the previous line
    try (Progress p = reporter.start("validation", 40, "batches")) {
      for (int i = 0; i < 40; i++) {
        now += 3_000_000_000L;
        p.advance(1);
      }
    }
    List<String> expected = new ArrayList<>();
    long last = 0;
    for (int done = 1; done <= 40; done++) {
      long t = 3L * done;
      if (t - last >= 10) {
        long eta = (40 - done) * 3L;
        expected.add(
            String.format(
                "validation: %d/40 batches (%.0f%%), %dm%02ds, eta %dm%02ds",
                done, 100.0 * done / 40, t / 60, t % 60, eta / 60, eta % 60));
        last = t;
      }
    }
    expected.add("validation: 40/40 batches in 2m00s");
    assertEquals(expected, lines());
    assertEquals("validation: 4/40 batches (10%), 0m12s, eta 1m48s", lines().get(0));
  }

  @Test
  void unitsOfUnevenSizeAndTimeAreCounted() {
    try (Progress p = reporter.start("gen PPL", 100, "chunks")) {
      now += 9_999_999_999L;
      p.advance(30); // 30 at 9.99 s: too early for a line
      now += 1;
      p.advance(20); // 50 at 10 s exactly: a line
      now += 25_000_000_000L;
      p.advance(50); // 100 at 35 s
    }
    assertEquals(
        List.of(
            "gen PPL: 50/100 chunks (50%), 0m10s, eta 0m10s",
            "gen PPL: 100/100 chunks (100%), 0m35s, eta 0m00s", "gen PPL: 100/100 chunks in 0m35s"),
        lines());
  }

  @Test
  void aShortPhaseIsSilentAndCloseIsIdempotent() {
    Progress p = reporter.start("sampling", 5, "samples");
    for (int i = 0; i < 5; i++) {
      now += 1_000_000_000L;
      p.advance(1);
    }
    p.close();
    p.close();
    now += 60_000_000_000L;
    p.advance(1); // after close: ignored
    assertEquals(List.of(), lines());
  }
}
