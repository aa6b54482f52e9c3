package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code dllm finetune} end to end on a tiny AR checkpoint: fine-tunes on prompt/response pairs
 * (family, tokenizer and shape from the checkpoint), writes a checkpoint and a report with the data
 * counts; {@code --resume DIR} alone continues a stopped run bit-exactly; bad input exits 2 with
 * one line and writes nothing.
 */
class FinetuneCommandTest {
  private static final String[] WORDS = {
    "king", "queen", "lord", "sweet", "night", "love", "death", "crown", "sword", "blood"
  };

  @TempDir static Path shared;
  static Path init;
  static Path pairs;
  @TempDir Path tmp;
  private final CliRun cli = new CliRun();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void tinyCheckpoint() throws Exception {
    init = shared.resolve("ar");
    CliRun c = new CliRun();
    assertEquals(0, c.run(CliRun.tinyTrain("ar", init)), c.err());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      String a = WORDS[i % WORDS.length];
      String b = WORDS[(i * 3 + 1) % WORDS.length];
      sb.append(String.format("{\"prompt\": \"%s %s?\", \"response\": \" %s.\"}%n", a, b, b));
    }
    pairs = shared.resolve("pairs.jsonl");
    Files.writeString(pairs, sb.toString());
  }

  private String[] finetune(Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "finetune",
                "--init-from",
                init.toString(),
                "--data",
                pairs.toString(),
                "--seq-len",
                "24",
                "--batch",
                "4",
                "--steps",
                "4",
                "--threads",
                "1",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  private List<Double> trace(Path run) throws Exception {
    List<Double> l = new ArrayList<>();
    json.readTree(run.resolve("train-report.json").toFile())
        .get("loss_trace")
        .forEach(n -> l.add(n.asDouble()));
    return l;
  }

  @Test
  void finetunesACheckpointAndResumesBitExactly() throws Exception {
    Path full = tmp.resolve("full");
    long t0 = System.nanoTime();
    assertEquals(0, cli.run(finetune(full)), cli.err());
    System.out.printf(
        "FinetuneCommandTest: dllm finetune ar xxs B 4 L 24, 4 steps: %.2f s%n",
        (System.nanoTime() - t0) / 1e9);
    assertTrue(cli.out().contains("fine-tuned ar"), cli.out());
    assertTrue(cli.out().contains("pairs: 38 of 38 (0 too long); held out: 2 of 2"), cli.out());
    assertTrue(Files.isRegularFile(full.resolve("checkpoint").resolve("model.safetensors")));
    JsonNode report = json.readTree(full.resolve("train-report.json").toFile());
    assertEquals("ar", report.get("family").asText());
    assertEquals(4, report.get("steps").asInt());
    assertEquals(24, report.get("seq_len").asInt());
    assertEquals(2, report.path("sft").path("val").path("blocks").asInt());
    assertEquals(40, report.path("sft").path("formats").path("prompt_response").asInt());
    assertTrue(report.get("val_nll").asDouble() > 0);

    Path run = tmp.resolve("stopped");
    assertEquals(0, cli.run(finetune(run, "--stop-after", "2")), cli.err());
    assertTrue(cli.out().contains("continue with: dllm finetune --resume " + run), cli.out());
    assertEquals(0, cli.run("finetune", "--resume", run.toString()), cli.err());
    List<Double> a = trace(full);
    List<Double> b = trace(run);
    assertEquals(4, b.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(Double.doubleToLongBits(a.get(i)), Double.doubleToLongBits(b.get(i)), "" + i);
    }
    assertEquals(
        report.get("val_nll").asDouble(),
        json.readTree(run.resolve("train-report.json").toFile()).get("val_nll").asDouble(),
        0.0);
    // a changed option is refused on resume; a pre-training run is not a fine-tuning to resume
    assertEquals(2, cli.run("finetune", "--resume", run.toString(), "--lr", "1e-2"));
    assertTrue(cli.err().contains("--lr differs from the run being resumed"), cli.err());
    assertEquals(2, cli.run("finetune", "--resume", init.toString()));
    assertTrue(cli.err().contains("not a fine-tuning run"), cli.err());
    assertEquals(2, cli.run("train", "--resume", run.toString(), "--stop-after", "3"));
    assertTrue(cli.err().contains("continue it with dllm finetune --resume"), cli.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo", "esolm"})
  void everyFamilyFinetunes(String family) throws Exception {
    Path from = tmp.resolve(family);
    assertEquals(0, cli.run(CliRun.tinyTrain(family, from)), cli.err());
    Path out = tmp.resolve(family + "-sft");
    assertEquals(
        0, cli.run(set(set(finetune(out), "--init-from", "" + from), "--steps", "2")), cli.err());
    JsonNode report = json.readTree(out.resolve("train-report.json").toFile());
    assertEquals(family, report.get("family").asText());
    double val = report.get("val_nll").asDouble();
    assertTrue(Double.isFinite(val) && val > 0, family + ": " + val);
    assertTrue(report.get("val_tokens").asInt() < 2 * 24, "prompt positions are not scored");
  }

  @Test
  void badInputExitsTwoWithOneLineAndWritesNothing() throws Exception {
    Path out = tmp.resolve("out");
    Path malformed = write("malformed.jsonl", line("king", " lord") + "{\"prompt\": \"a\",\n");
    Path missing = write("missing.jsonl", line("king", " lord") + "{\"prompt\": \"king\"}\n");
    Path empty = write("empty.jsonl", "");
    Path digits = write("digits.jsonl", line("king", " lord") + line("king", " 42"));
    Path notEmpty = tmp.resolve("used");
    Files.createDirectories(notEmpty);
    Files.writeString(notEmpty.resolve("x.txt"), "x");
    Object[][] cases = {
      {set(finetune(out), "--data", malformed.toString()), malformed + ":2: not a JSON object"},
      {
        set(finetune(out), "--data", missing.toString()), missing + ":2: missing field \"response\""
      },
      {set(finetune(out), "--data", empty.toString()), empty + ": no records"},
      {
        set(finetune(out), "--data", digits.toString()),
        digits + ":2: field \"response\": character '4'"
      },
      {finetune(notEmpty), "--out " + notEmpty + " already exists and is not empty"},
      {
        new String[] {"finetune", "--data", pairs.toString(), "--steps", "1", "--out", "" + out},
        "--init-from is required"
      },
      {
        new String[] {"finetune", "--init-from", "" + init, "--steps", "1", "--out", "" + out},
        "--data is required"
      },
      {finetune(out, "--val-data", tmp.resolve("nope.jsonl").toString()), "nope.jsonl: no such"},
      {set(finetune(out), "--seq-len", "8"), "need more than --seq-len 8 tokens"},
      {set(finetune(out), "--init-from", tmp.toString()), "not a checkpoint"},
      {set(finetune(out), "--val-fraction", "0.9"), "--val-fraction must be in (0, 0.5]"},
    };
    for (Object[] c : cases) {
      String[] args = (String[]) c[0];
      assertEquals(2, cli.run(args), String.join(" ", args) + "\n" + cli.err());
      assertTrue(cli.err().contains((String) c[1]), cli.err());
      assertEquals(1, cli.err().lines().count(), cli.err());
      assertFalse(Files.exists(out), "nothing written: " + String.join(" ", args));
    }
    // the steps are required too (in the message: either way to give them)
    List<String> noSteps = new ArrayList<>(List.of(finetune(out)));
    int i = noSteps.indexOf("--steps");
    noSteps.remove(i + 1);
    noSteps.remove(i);
    assertEquals(2, cli.run(noSteps.toArray(new String[0])));
    assertTrue(cli.err().contains("give --steps N or --flops C"), cli.err());
  }

  /** {@code args} with the value of {@code option} replaced (or the option appended). */
  private static String[] set(String[] args, String option, String value) {
    List<String> a = new ArrayList<>(List.of(args));
    int i = a.indexOf(option);
    if (i < 0) {
      a.add(option);
      a.add(value);
    } else {
      a.set(i + 1, value);
    }
    return a.toArray(new String[0]);
  }

  private static String line(String prompt, String response) {
    return "{\"prompt\": \"" + prompt + "\", \"response\": \"" + response + "\"}\n";
  }

  private Path write(String name, String text) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }
}
