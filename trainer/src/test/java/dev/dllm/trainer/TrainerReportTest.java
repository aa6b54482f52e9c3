package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.data.corpus.CorpusSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What train-report.json says about validation (issue 19 items 3 and 4): the corpus and its split,
 * and the validation time apart from the training time; every validation shows its progress.
 */
class TrainerReportTest {
  /** One started phase: name, total units, units advanced. */
  private static final class Phase {
    final String name;
    final long total;
    long done;
    boolean closed;

    Phase(String name, long total) {
      this.name = name;
      this.total = total;
    }
  }

  private static String book(String word, int lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      sb.append(word).append(" and ").append(word).append(" went to town ").append(i % 10);
      sb.append('\n');
    }
    return sb.toString();
  }

  @Test
  void reportCarriesCorpusSplitAndValidationTime(@TempDir Path tmp) throws Exception {
    Path corpus = Files.createDirectories(tmp.resolve("books"));
    Files.writeString(corpus.resolve("a.txt"), book("romeo", 200));
    Files.writeString(corpus.resolve("b.txt"), book("juliet", 200));
    List<Phase> phases = new ArrayList<>();
    long sleepMillis = 30;
    ProgressReporter recorder =
        (name, total, unit) -> {
          Phase ph = new Phase(name, total);
          phases.add(ph);
          return new Progress() {
            @Override
            public void advance(long units) {
              ph.done += units;
              try {
                Thread.sleep(sleepMillis); // validation time the report must count
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }

            @Override
            public void close() {
              ph.closed = true;
            }
          };
        };
    Path out = tmp.resolve("run");
    TrainConfig cfg =
        TrainerResumeTest.tiny("ar", out).data(corpus).steps(4).valEvery(2).batch(4).build();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    TrainReport r =
        new Trainer(cfg, new PrintStream(log, true, StandardCharsets.UTF_8))
            .progress(recorder)
            .run();
    double wall = (System.nanoTime() - t0) / 1e9;

    // one periodic and one final validation, each advanced through all its batches
    assertEquals(
        List.of("validation at step 2", "final validation"),
        phases.stream().map(p -> p.name).toList());
    for (Phase p : phases) {
      assertEquals(r.valBatches(), p.total, p.name);
      assertEquals(p.total, p.done, p.name);
      assertTrue(p.closed, p.name);
    }
    // the validation time is reported apart and is not part of the training seconds
    double slept = 2.0 * r.valBatches() * sleepMillis / 1000;
    assertTrue(r.validationSeconds() >= slept, r.validationSeconds() + " < " + slept);
    assertTrue(r.finalValidationSeconds() >= slept / 2, "final " + r.finalValidationSeconds());
    assertTrue(r.finalValidationSeconds() < r.validationSeconds());
    assertTrue(
        r.segmentSeconds() + r.validationSeconds() <= wall,
        r.segmentSeconds() + " + " + r.validationSeconds() + " > wall " + wall);
    JsonNode json = new ObjectMapper().readTree(out.resolve("train-report.json").toFile());
    assertEquals(r.validationSeconds(), json.get("validation_seconds").asDouble(), 0);
    assertEquals(r.finalValidationSeconds(), json.get("final_validation_seconds").asDouble(), 0);

    // the corpus and its split
    JsonNode c = json.get("corpus");
    assertEquals(corpus.toAbsolutePath().toString(), c.get("path").asText());
    assertEquals(2, c.get("files").asInt());
    assertTrue(c.get("checksum").asText().matches("sha256:[0-9a-f]{64}"), c.toString());
    JsonNode split = c.get("split");
    assertEquals(CorpusSource.of(corpus).splitRule(), split.get("rule").asText());
    assertEquals(0.05, split.get("fraction").asDouble(), 0);
    long train = split.get("train_tokens").asLong();
    long valid = split.get("valid_tokens").asLong();
    double share = valid / (double) (train + valid);
    assertTrue(share > 0.04 && share < 0.06, "share " + share);
    String text = log.toString(StandardCharsets.UTF_8);
    String line =
        String.format(
            java.util.Locale.ROOT,
            "validation: %.1f%% of tokens = %,d of %,d",
            100 * share,
            valid,
            train + valid);
    assertTrue(text.contains(line), line + " not in\n" + text);
  }
}
