package dev.dllm.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.optim.AdamWConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run options kept in a checkpoint come back field for field through config.json (doubles bit
 * for bit), without the per-invocation fields; a checkpoint without them reads as null.
 */
class StoredRunConfigTest {
  private final ObjectMapper json = new ObjectMapper();

  private void writeCheckpoint(Path run, Map<String, Object> training) throws Exception {
    Path ck = Files.createDirectories(run.resolve("checkpoint"));
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("family", "mdlm");
    root.put("training", training);
    json.writeValue(ck.resolve("config.json").toFile(), root);
  }

  @Test
  void everyOptionRoundTripsThroughTheCheckpoint(@TempDir Path tmp) throws Exception {
    TrainConfig given =
        TrainConfig.builder()
            .family("esolm")
            .preset("d24")
            .modelConfig(Path.of("shape.yaml"))
            .data(Path.of("corpus.txt"))
            .tokenizer("byte")
            .mode("wrap")
            .seqLen(48)
            .batch(6)
            .accumulation(3)
            .flops(1.25e11)
            .lr(0.1 + 0.2) // not a short decimal: must come back bit for bit
            .minLr(1e-5)
            .warmup(7)
            .adamW(new AdamWConfig(0.8, 0.97, 1e-9, 0.03))
            .clipNorm(0.25)
            .ema(0.999)
            .dropout(0.05)
            .seed(-3)
            .threads(2)
            .valEvery(5)
            .valBatches(4)
            .checkpointEvery(9)
            .logEvery(2)
            .familyTraining(new FamilyTraining(Map.of("alpha_0", "0.5"), Path.of("init"), 11))
            .resume(Path.of("r"))
            .out(Path.of("o"))
            .stopAfter(3)
            .build();
    Path run = tmp.resolve("run");
    writeCheckpoint(
        run, Map.of("step", 1, StoredRunConfig.KEY, StoredRunConfig.toState(given, "elbo")));

    TrainConfig expected =
        given.toBuilder()
            .objective("elbo")
            .data(Path.of("corpus.txt").toAbsolutePath())
            .familyTraining(
                new FamilyTraining(Map.of("alpha_0", "0.5"), Path.of("init").toAbsolutePath(), 11))
            .resume(null)
            .out(null)
            .stopAfter(0)
            .build();
    assertEquals(expected, StoredRunConfig.read(run));
    assertEquals(expected, StoredRunConfig.read(run.resolve("checkpoint")));
    assertEquals(run, StoredRunConfig.runFolder(run));
    assertEquals(run, StoredRunConfig.runFolder(run.resolve("checkpoint")));
  }

  @Test
  void olderCheckpointsHaveNoneAndMalformedOnesAreBadInput(@TempDir Path tmp) throws Exception {
    Path old = tmp.resolve("old");
    writeCheckpoint(old, Map.of("step", 1, "lr", 1e-3));
    assertNull(StoredRunConfig.read(old));
    assertNull(StoredRunConfig.read(tmp.resolve("missing")));

    Path bad = tmp.resolve("bad");
    writeCheckpoint(bad, Map.of(StoredRunConfig.KEY, Map.of("family", "mdlm", "batch", "x")));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> StoredRunConfig.read(bad));
    assertTrue(e.getMessage().contains("run_config is malformed"), e.getMessage());
  }

  @Test
  void aCorruptConfigJsonIsNamedNotTakenForAnOldCheckpoint(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    writeCheckpoint(run, Map.of("step", 1));
    Path file = run.resolve("checkpoint").resolve("config.json");
    Files.writeString(file, "{\"training\": "); // cut short, as by a full disk
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> StoredRunConfig.read(run));
    assertTrue(
        e.getMessage().startsWith(file.toAbsolutePath().normalize().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("cannot be read as the checkpoint's JSON"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  @Test
  void storedOptionsWithoutAFamilyAreMalformed(@TempDir Path tmp) throws Exception {
    TrainConfig given = TrainConfig.builder().family("mdlm").out(tmp.resolve("x")).build();
    Map<String, Object> stored = new LinkedHashMap<>(StoredRunConfig.toState(given, "elbo"));
    stored.remove("family");
    Path run = tmp.resolve("run");
    writeCheckpoint(run, Map.of(StoredRunConfig.KEY, stored));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> StoredRunConfig.read(run));
    assertTrue(e.getMessage().contains("run_config is malformed ('family'"), e.getMessage());
  }
}
