package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DuoScheduleCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** V = 2 has the closed form alpha = 2 Φ(e^(−γ/2)/√2) − 1 (issue 8). */
  @Test
  void jsonForTwoTokensMatchesTheClosedForm() throws Exception {
    assertEquals(0, run("duo-schedule", "--vocab", "2", "--gamma", "-4,0, 4", "--json"));
    JsonNode root = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertEquals(2, root.get("vocab").asInt());
    JsonNode rows = root.get("rows");
    assertEquals(3, rows.size());
    double[] want = {0.9999998, 0.5205, 0.07624};
    for (int i = 0; i < 3; i++) {
      assertEquals(want[i], rows.get(i).get("alpha").asDouble(), 1e-4);
      double p = rows.get(i).get("p").asDouble();
      assertEquals((2 * p - 1), rows.get(i).get("alpha").asDouble(), 1e-15);
      assertTrue(rows.get(i).get("dalpha_dgamma").asDouble() < 0);
    }
    assertEquals(4.0, rows.get(2).get("gamma").asDouble(), 0);
  }

  /** Huge γ: the command printed alpha = −1.1e-17 (its own copy of the formula, unclamped). */
  @Test
  void alphaIsNeverNegativeAtHugeGamma() throws Exception {
    assertEquals(0, run("duo-schedule", "--vocab", "69", "--gamma", "1e5,1e300", "--json"));
    JsonNode rows = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).get("rows");
    for (JsonNode row : rows) {
      assertEquals(0.0, row.get("alpha").asDouble(), 1e-300, row.toString());
      assertTrue(row.get("alpha").asDouble() >= 0, row.toString());
    }
  }

  @Test
  void tablePrintsOneRowPerGamma() {
    assertEquals(0, run("duo-schedule", "--vocab", "50257", "--gamma", "-3.55,-1.85"));
    String text = out.toString(StandardCharsets.UTF_8);
    String[] lines = text.strip().split("\n");
    assertEquals(4, lines.length, text);
    assertTrue(lines[2].startsWith("-3.55") && lines[2].contains("0.94547"), lines[2]);
    assertTrue(lines[3].startsWith("-1.85") && lines[3].contains("0.049317"), lines[3]);
  }

  @Test
  void badInputIsOneLineAndExitCodeTwo() {
    String[][] cases = {
      {"duo-schedule", "--vocab", "1", "--gamma", "0"},
      {"duo-schedule", "--vocab", "x", "--gamma", "0"},
      {"duo-schedule", "--gamma", "0"},
      {"duo-schedule", "--vocab", "10"},
      {"duo-schedule", "--vocab", "10", "--gamma", "0,abc"},
      {"duo-schedule", "--vocab", "10", "--gamma", "0,,1"},
      {"duo-schedule", "--vocab", "10", "--gamma", "NaN"},
    };
    for (String[] args : cases) {
      err.reset();
      assertEquals(Main.EXIT_BAD_INPUT, run(args), String.join(" ", args));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(1, e.strip().split("\n").length, e);
      assertTrue(e.startsWith("dllm duo-schedule: "), e);
    }
  }
}
