package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pareto --batch max} (issue 20): every point is sampled at the largest power of two &le;
 * --num-samples whose buffers fit (tiny models: always fit), and reports it in the batch column;
 * anything but an integer &ge; 1 or max is refused with exit 2 before sampling.
 */
class ParetoBatchMaxTest {
  @TempDir Path tmp;

  @Test
  void batchMaxIsTheLargestPowerOfTwoNotAboveTheSamplesPerPoint() throws Exception {
    Path mdlm = TinyExports.export("mdlm", 3, tmp.resolve("mdlm"));
    Path ar = TinyExports.export("ar", 5, tmp.resolve("ar"));
    Path text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
    CliRun cli = new CliRun();
    Path out = tmp.resolve("pareto");
    String[] args = {
      "pareto",
      "--models",
      mdlm + "," + ar,
      "--steps",
      "2",
      "--scorer",
      ar.toString(),
      "--num-samples",
      "3",
      "--batch",
      "max",
      "--threads",
      "1",
      "--reference",
      text.toString(),
      "--out",
      out.toString()
    };
    // the scorer is one of the models: use a second AR export as scorer
    Path scorer = TinyExports.export("ar", 7, tmp.resolve("scorer"));
    args[6] = scorer.toString();
    assertEquals(0, cli.run(args), cli.err());
    List<String> csv = Files.readAllLines(out.resolve("pareto.csv"));
    List<String> header = List.of(csv.get(0).split(","));
    int col = header.indexOf("batch");
    assertEquals(3, csv.size(), String.join("\n", csv)); // header + mdlm + ar
    for (String row : csv.subList(1, csv.size())) {
      assertEquals("2", row.split(",")[col], row);
    }
    JsonNode settings =
        new ObjectMapper().readTree(out.resolve("pareto.json").toFile()).at("/settings");
    assertEquals("max", settings.path("batch").asText());
    assertTrue(cli.out().contains("batch 2"), cli.out());

    for (String bad : new String[] {"0", "maximum"}) {
      CliRun c = new CliRun();
      args[10] = bad;
      args[args.length - 1] = tmp.resolve("bad").toString();
      assertEquals(2, c.run(args), bad);
      assertTrue(
          c.err().contains("--batch must be an integer >= 1 or max, got '" + bad + "'"), c.err());
    }
  }
}
