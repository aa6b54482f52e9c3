package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm train --resume DIR} alone continues a run started with non-default options (own
 * corpus, wrap mode, accumulation, lr, min_lr, warmup, AdamW, clip, dropout, seed) bit-exactly; an
 * option repeated with its stored value is accepted, a changed one is refused with exit 2 naming
 * the option and both values; a checkpoint written before options were stored still needs them.
 */
class TrainResumeOptionsTest {
  @TempDir Path tmp;
  private final CliRun cli = new CliRun();
  private final ObjectMapper json = new ObjectMapper();

  /** A small corpus of random words (enough for train and validation rows of L 16). */
  private Path corpus() throws Exception {
    String[] words = {"the", "king", "sea", "rode", "a", "of", "night", "gold", "and", "storm"};
    Random r = new Random(11);
    StringBuilder s = new StringBuilder();
    while (s.length() < 20_000) {
      s.append(words[r.nextInt(words.length)]).append(r.nextInt(9) == 0 ? ".\n" : " ");
    }
    Path f = tmp.resolve("corpus.txt");
    Files.writeString(f, s);
    return f;
  }

  private String[] train(Path data, Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--family",
                "mdlm",
                "--preset",
                "d24",
                "--data",
                data.toString(),
                "--mode",
                "wrap",
                "--seq-len",
                "16",
                "--batch",
                "4",
                "--accum",
                "2",
                "--steps",
                "4",
                "--lr",
                "3e-3",
                "--min-lr",
                "2e-3",
                "--warmup",
                "1",
                "--beta2",
                "0.9",
                "--weight-decay",
                "0.05",
                "--clip",
                "0.5",
                "--dropout",
                "0.1",
                "--seed",
                "7",
                "--threads",
                "1",
                "--val-batches",
                "1",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  private JsonNode report(Path run) throws Exception {
    return json.readTree(run.resolve("train-report.json").toFile());
  }

  @Test
  void resumeAloneContinuesTheRunAndRefusesAChangedOption() throws Exception {
    Path data = corpus();
    Path full = tmp.resolve("full");
    assertEquals(0, cli.run(train(data, full)), cli.err());
    JsonNode straight = report(full);

    Path split = tmp.resolve("split");
    assertEquals(0, cli.run(train(data, split, "--stop-after", "2")), cli.err());
    byte[] checkpoint = Files.readAllBytes(split.resolve("checkpoint/config.json"));

    // a changed option: exit 2, one line naming the option, the stored and the given value
    assertEquals(2, cli.run("train", "--resume", split.toString(), "--lr", "1e-3"));
    String e = cli.err();
    assertTrue(e.contains("--lr differs from the run being resumed: stored 0.003, given 0.001"), e);
    assertEquals(2, cli.run("train", "--resume", split.toString(), "--mode", "pack"));
    assertTrue(
        cli.err().contains("--mode differs") && cli.err().contains("stored wrap"), cli.err());
    Path other = tmp.resolve("other.txt");
    Files.writeString(other, Files.readString(data).substring(100));
    assertEquals(2, cli.run("train", "--resume", split.toString(), "--data", other.toString()));
    assertTrue(cli.err().contains("--data differs"), cli.err());
    assertEquals(2, cli.run("train", "--resume", split.toString(), "--steps", "5"));
    assertTrue(cli.err().contains("stored --steps 4, given --steps 5"), cli.err());
    assertEquals(2, cli.run("train", "--resume", split.toString(), "--family", "duo"));
    assertTrue(cli.err().contains("--family differs"), cli.err());
    assertTrue(
        java.util.Arrays.equals(
            checkpoint, Files.readAllBytes(split.resolve("checkpoint/config.json"))),
        "a refused resume leaves the checkpoint alone");

    // --resume alone (one more step), then with options repeated at their stored values
    assertEquals(0, cli.run("train", "--resume", split.toString(), "--stop-after", "3"), cli.err());
    assertEquals(3, report(split).get("loss_trace").size());
    assertEquals(
        0,
        cli.run(
            "train",
            "--resume",
            split.resolve("checkpoint").toString(),
            "--lr",
            "0.003",
            "--data",
            data.toString(),
            "--accum",
            "2",
            "--family",
            "mdlm",
            "--log-every",
            "1"),
        cli.err());
    JsonNode resumed = report(split);
    assertEquals(straight.get("loss_trace"), resumed.get("loss_trace"), "bit-exact losses");
    for (String k :
        List.of("steps", "tokens", "accumulation", "threads", "val_nll", "val_tokens")) {
      assertEquals(straight.get(k), resumed.get(k), k);
    }
  }

  @Test
  void checkpointWithoutStoredOptionsStillNeedsThem() throws Exception {
    Path data = corpus();
    Path run = tmp.resolve("old");
    assertEquals(0, cli.run(train(data, run, "--stop-after", "2")), cli.err());
    Path config = run.resolve("checkpoint/config.json");
    ObjectNode root = (ObjectNode) json.readTree(config.toFile());
    ((ObjectNode) root.get("training")).remove("run_config"); // as written before this change
    json.writeValue(config.toFile(), root);

    assertEquals(2, cli.run("train", "--resume", run.toString()));
    assertTrue(cli.err().contains("--family is required: --resume " + run), cli.err());
    Path nothing = tmp.resolve("nothing");
    for (String command : new String[] {"train", "distill"}) {
      assertEquals(2, cli.run(command, "--resume", nothing.toString()));
      assertTrue(cli.err().contains("--resume " + nothing + " does not exist"), cli.err());
    }
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertEquals(2, cli.run("train", "--resume", empty.toString()));
    assertTrue(cli.err().contains("holds no stored options (no checkpoint there"), cli.err());
    assertEquals(0, cli.run(train(data, run, "--resume", run.toString())), cli.err());
    assertEquals(4, report(run).get("loss_trace").size());
  }
}
