package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm demo --minutes M}: a calibration run measures the training rate, the budget follows
 * the documented formula ({@link DemoBudget}), all four models get it, and a resumed demo keeps it.
 */
class DemoMinutesTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<List<String>> calls = new ArrayList<>();

  private static JsonNode json(String s) throws IOException {
    return new ObjectMapper().readTree(s);
  }

  @Test
  void budgetFromTheMeasuredRate() throws Exception {
    // 1e11 FLOPs in 10 s = 1e10 FLOP/s; 10 min - 30 s elapsed - 180 s other - 4 x 15 s = 330 s
    // of training, 82.5 s per model -> 8.25e11 -> 8.2e11 (two significant digits, down)
    JsonNode cal = json("{\"seconds\": 10, \"flops\": 1e11, \"steps\": 20}");
    assertEquals(8.2e11, DemoBudget.flops(cal, "10", 30, false), 1);
    // --quick: 30 s of other stages -> (600 - 30 - 30 - 60) / 4 = 120 s -> 1.2e12
    assertEquals(1.2e12, DemoBudget.flops(cal, "10", 30, true), 1);
    assertEquals(3.8e12, DemoBudget.roundDown(3.87e12), 1);
    assertEquals("3.8e12", DemoBudget.fmt(3.8e12));
    assertEquals("2e10", DemoBudget.fmt(2e10));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> DemoBudget.flops(cal, "4", 30, false));
    // needs 30 + 180 + 4 x (15 + 0.5) s = 272 s = 4.6 min (one step = 5e9 FLOPs = 0.5 s)
    assertTrue(e.getMessage().contains("--minutes 4 leaves no time"), e.getMessage());
    assertTrue(e.getMessage().contains("give --minutes 4.6 or more"), e.getMessage());
  }

  private int stage(String[] args, PrintStream stageOut, PrintStream stageErr) {
    List<String> a = List.of(args);
    calls.add(a);
    try {
      Path o = Path.of(a.get(a.indexOf("--out") + 1));
      switch (a.get(0)) {
        case "tokenize" -> Files.writeString(o, "{\"tokens\": 100}");
        case "train" -> {
          Files.writeString(
              Files.createDirectories(o.resolve("checkpoint")).resolve("config.json"),
              "{\"training\": {\"step\": 5, \"total_steps\": 5}}");
          // 1e9 FLOP/s measured
          Files.writeString(
              o.resolve("train-report.json"),
              "{\"steps\": 5, \"seconds\": 10, \"flops\": 1e10, \"tokens\": 5000, \"val_nll\": 3}");
        }
        case "export" -> {
          Files.createDirectories(o);
          Files.writeString(o.resolve("export-report.json"), "{}");
        }
        case "sample" -> {
          Files.writeString(o, "{\"text\": \"a\"}\n");
          Files.writeString(SampleCommand.reportFile(o), "{}");
        }
        case "pareto" -> {
          Files.writeString(o.resolve("pareto.json"), "{\"points\": []}");
          Files.writeString(o.resolve("pareto.png"), "png");
        }
        default -> throw new AssertionError(a);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return 0;
  }

  private int demo(String... given) {
    out.reset();
    // the downstream stage has its own test (DemoDownstreamTest)
    List<String> all = new ArrayList<>(List.of(given));
    if (!all.contains("--resume")) {
      all.add("--no-downstream");
    }
    String[] args = all.toArray(String[]::new);
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        List.of(new DemoCommand(this::stage)));
  }

  @Test
  void calibratesOnceAndTrainsEveryModelAtTheBudget() throws Exception {
    Path dir = tmp.resolve("demo");
    String[] base = {"demo", "--quick", "--scorer", tmp.toString(), "--out", dir.toString()};
    List<String> args = new ArrayList<>(List.of(base));
    args.addAll(List.of("--minutes", "2"));
    assertEquals(0, demo(args.toArray(String[]::new)), out.toString(StandardCharsets.UTF_8));
    List<String> cal = calls.get(1);
    assertEquals("train", cal.get(0));
    assertEquals(dir.resolve("calibration").toString(), cal.get(cal.indexOf("--out") + 1));
    assertEquals("5", cal.get(cal.indexOf("--steps") + 1));
    // 2 min: (120 - elapsed - 30 - 60) s / 4 at 1e9 FLOP/s -> just under 7.5e9
    String flops = calls.get(2).get(calls.get(2).indexOf("--flops") + 1);
    double c = Double.parseDouble(flops);
    assertTrue(c > 6e9 && c <= 7.5e9, flops);
    List<String> trains = new ArrayList<>();
    for (List<String> call : calls.subList(2, calls.size())) {
      if (call.get(0).equals("train")) {
        trains.add(call.get(call.indexOf("--flops") + 1));
      }
    }
    assertEquals(List.of(flops, flops, flops, flops), trains);
    JsonNode saved = new ObjectMapper().readTree(dir.resolve(DemoOptions.FILE).toFile());
    assertEquals(flops, saved.get("flops").asText());
    assertEquals("2", saved.get("minutes").asText());
    assertTrue(
        out.toString(StandardCharsets.UTF_8).contains("budget " + flops + " FLOPs per model"));

    // resumed (here: one training redone): no second calibration, the same budget
    Files.delete(dir.resolve("duo-elbo").resolve("train-report.json"));
    Files.writeString(
        dir.resolve("duo-elbo").resolve("checkpoint").resolve("config.json"),
        "{\"training\": {\"step\": 2, \"total_steps\": 5}}");
    calls.clear();
    assertEquals(0, demo("demo", "--resume", dir.toString()), out.toString(StandardCharsets.UTF_8));
    assertEquals("train", calls.get(0).get(0));
    assertEquals(flops, calls.get(0).get(calls.get(0).indexOf("--flops") + 1));
    assertEquals(1, calls.stream().filter(x -> x.get(0).equals("train")).count());

    // --flops and --minutes together, or a bad value, are refused before anything runs
    calls.clear();
    assertEquals(
        Main.EXIT_BAD_INPUT,
        demo(
            "demo",
            "--quick",
            "--minutes",
            "5",
            "--flops",
            "1e12",
            "--out",
            tmp.resolve("x").toString()));
    assertEquals(
        Main.EXIT_BAD_INPUT,
        demo("demo", "--quick", "--minutes", "0", "--out", tmp.resolve("y").toString()));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--minutes must be > 0"));
    assertEquals(List.of(), calls);
  }
}
