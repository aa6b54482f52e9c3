package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.cli.Main;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The family-agnostic comparison of {@code bench-sample}: {@code --sections compare} over {@code
 * --variant}s of any exports, Eso-LM's contributed {@code esolm} section on random weights, and a
 * test family's section found on the test class path ({@code fake5-skip}).
 */
class SpeedCompareCommandTest {
  private static final int L = 12;
  @TempDir static Path exports;
  private static Path duo;
  private static Path mdlm;
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void writeExports() throws Exception {
    duo = BenchExports.export(exports, "duo", 3, L);
    mdlm = BenchExports.export(exports, "mdlm", 4, L);
  }

  private JsonNode bench(String... args) throws Exception {
    Path report = tmp.resolve("r.json");
    String[] all = new String[args.length + 7];
    all[0] = "bench-sample";
    System.arraycopy(args, 0, all, 1, args.length);
    System.arraycopy(
        new String[] {"--threads", "1", "--batch", "2", "--out", report.toString()},
        0,
        all,
        args.length + 1,
        6);
    assertEquals(0, BenchExports.run(out, err, all), err.toString(StandardCharsets.UTF_8));
    return new ObjectMapper().readTree(report.toFile());
  }

  private static double tps(JsonNode row, String label) {
    return row.get(label).get("tokens_per_second").asDouble();
  }

  @Test
  void compareTimesAnyExportsAndVariantsWithRatiosToTheFirstAndTheFamilyProbe() throws Exception {
    JsonNode r =
        bench(
            "--sections",
            "compare",
            "--variant",
            "anc=" + duo + ",noise_removal=ancestral",
            "--variant",
            "greedy=" + duo + ",greedy_tail=true",
            "--variant",
            "md=" + mdlm + ",predictor=ancestral",
            "--compare-steps",
            "2",
            "--length",
            String.valueOf(L),
            "--runs",
            "1");
    assertEquals("compare", r.get("section").asText());
    assertTrue(r.has("model1_model") && r.has("model2_model") && !r.has("model3_model"), "" + r);
    String[] families = {"duo", "duo", "mdlm"};
    for (int i = 0; i < 3; i++) {
      assertEquals(families[i], r.get("variants").get(i).get("family").asText());
    }
    JsonNode row = r.get("rows").get(0);
    assertEquals(2, row.get("steps").asInt());
    for (String v : new String[] {"anc", "greedy", "md"}) {
      assertEquals(3, row.get(v).get("nfe").asInt(), v + ": NFE = T + 1");
    }
    assertEquals(tps(row, "greedy") / tps(row, "anc"), row.get("greedy_vs_anc_speed").asDouble());
    assertEquals(tps(row, "md") / tps(row, "anc"), row.get("md_vs_anc_speed").asDouble());
    // Duo's probe names the update "posterior"; MDLM reports no steps
    double worst = 0;
    for (String v : new String[] {"anc", "greedy"}) {
      worst = Math.max(worst, row.get(v).get("time_split").get("posterior_share").asDouble());
    }
    assertNull(row.get("md").get("time_split"));
    assertEquals(worst, r.get("posterior_share_max").asDouble(), 0);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("Duo posterior: at most"));
  }

  @Test
  void withoutLengthTheExportsAreTimedAtTheirTrainingLength() throws Exception {
    // not at a fixed 256: an L 12 export would be sampled far beyond the length it was trained at
    JsonNode r =
        bench(
            "--sections",
            "compare",
            "--variant",
            "a=" + duo,
            "--variant",
            "b=" + mdlm,
            "--compare-steps",
            "2",
            "--runs",
            "1");
    assertEquals(L, r.get("length").asInt());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("L=" + L + ","), out.toString());
  }

  @Test
  void esolmSectionComparesTheCacheOnRandomWeightsAtTEqualsL() throws Exception {
    JsonNode r = bench("--sections", "esolm", "--lengths", "8", "--preset", "xxs");
    assertEquals("xxs", r.get("preset").asText());
    assertEquals(1, r.get("runs").asInt(), "the section's default");
    JsonNode row = r.get("esolm").get(0);
    assertEquals(8, row.get("length").asInt());
    assertEquals(8, row.get("steps").asInt());
    assertEquals(9, row.get("mdlm_ancestral_T_eq_L").get("nfe").asInt(), "MDLM T = L: L + 1");
    assertEquals(
        tps(row, "esolm_kv_cache") / tps(row, "mdlm_ancestral_T_eq_L"),
        row.get("speedup_vs_mdlm").asDouble());
    assertEquals(
        tps(row, "esolm_kv_cache") / tps(row, "esolm_no_cache"),
        row.get("speedup_vs_esolm_no_cache").asDouble());
    assertTrue(r.get("paper").asText().contains("14x"), "" + r);
  }

  @Test
  void aSectionOfAFamilyOnTheTestClassPathIsOfferedAndRuns() throws Exception {
    assertEquals(0, BenchExports.run(out, err, "bench-sample", "--help"));
    String help = out.toString(StandardCharsets.UTF_8);
    assertTrue(help.contains("--plain-model DIR") && help.contains("fake5-skip"), help);
    // every section it runs is listed (ceiling was missing)
    assertTrue(help.contains("comma list of calls,ceiling,sampling,ar,skip,concurrency"), help);
    JsonNode r =
        bench("--sections", "fake5-skip", "--plain-model", mdlm.toString(), "--length", "12");
    JsonNode row = r.get("rows").get(0);
    assertEquals(4, row.get("steps").asInt(), "the section's default T");
    assertEquals(5, row.get("ancestral").get("nfe").asInt());
    assertEquals(tps(row, "skip") / tps(row, "ancestral"), row.get("skip_vs_ancestral").asDouble());
  }

  @Test
  void badVariantsExitTwoAndWriteNothing() {
    Path report = tmp.resolve("bad.json");
    String[][] cases = {
      {"--sections", "compare"},
      {"--sections", "compare", "--variant", "nodir"},
      {"--sections", "compare", "--variant", "a=" + duo, "--variant", "a=" + mdlm},
      {"--sections", "compare", "--variant", "a=" + duo + ",greedy_tail"},
      {"--sections", "compare", "--variant", "a=" + tmp.resolve("none")},
      {"--sections", "compare,calls", "--variant", "a=" + duo},
    };
    String[] expected = {
      "needs --variant", "LABEL=DIR", "given twice", "KEY=VALUE", "none", "alone"
    };
    for (int i = 0; i < cases.length; i++) {
      err.reset();
      String[] args = new String[cases[i].length + 5];
      args[0] = "bench-sample";
      System.arraycopy(cases[i], 0, args, 1, cases[i].length);
      System.arraycopy(
          new String[] {"--length", "12", "--out", report.toString()}, 0, args, args.length - 4, 4);
      assertEquals(Main.EXIT_BAD_INPUT, BenchExports.run(out, err, args), String.join(" ", args));
      String msg = err.toString(StandardCharsets.UTF_8);
      assertTrue(msg.contains(expected[i]) && msg.lines().count() == 1, msg);
      assertFalse(Files.exists(report));
    }
  }
}
