package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm eval} and {@code dllm pareto} never replace earlier reports without {@code
 * --overwrite}, and {@code pareto} refuses a model listed twice and a variant no model can take,
 * all before any sampling (exit 2, one line naming the file or the entry).
 */
class ParetoEvalInputTest {
  @TempDir static Path tmp;
  static Path mdlm;
  static Path ar;
  static Path scorer;
  static Path text;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void exports() throws Exception {
    mdlm = TinyExports.export("mdlm", 3, tmp.resolve("ex-mdlm"));
    ar = TinyExports.export("ar", 4, tmp.resolve("ex-ar"));
    scorer = TinyExports.export("ar", 5, tmp.resolve("scorer"));
    text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
  }

  private int run(String... args) {
    cli.clearOut();
    return cli.run(args);
  }

  private String err() {
    return cli.err();
  }

  private int pareto(String models, Path outDir, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "pareto",
                "--models",
                models,
                "--steps",
                "2",
                "--scorer",
                scorer.toString(),
                "--num-samples",
                "1",
                "--batch",
                "1",
                "--reference",
                text.toString(),
                "--out",
                outDir.toString()));
    a.addAll(List.of(more));
    return run(a.toArray(String[]::new));
  }

  @Test
  void evalRefusesAnExistingReportUnlessOverwrite() throws Exception {
    Path dir = tmp.resolve("eval-out");
    String[] eval = {
      "eval",
      "--model",
      mdlm.toString(),
      "--data",
      text.toString(),
      "--detokenizer",
      "none",
      "--out",
      dir.toString()
    };
    assertEquals(0, run(eval), err());
    Path report = dir.resolve("eval-report.json");
    byte[] first = Files.readAllBytes(report);
    assertEquals(2, run(eval));
    assertEquals(1, err().strip().lines().count(), err());
    assertTrue(err().contains(report.toString()) && err().contains("--overwrite"), err());
    assertArrayEquals(first, Files.readAllBytes(report));
    String[] again = java.util.Arrays.copyOf(eval, eval.length + 1);
    again[eval.length] = "--overwrite";
    assertEquals(0, run(again), err());
    assertTrue(Files.isRegularFile(report));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(report), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void paretoRefusesExistingFilesUnlessOverwrite() throws Exception {
    Path dir = tmp.resolve("pareto-out");
    assertEquals(0, pareto(mdlm.toString(), dir), err());
    byte[] json = Files.readAllBytes(dir.resolve("pareto.json"));
    assertEquals(2, pareto(mdlm.toString(), dir));
    assertTrue(err().contains(dir.resolve("pareto.json").toString()), err());
    assertTrue(err().contains("--overwrite"), err());
    assertArrayEquals(json, Files.readAllBytes(dir.resolve("pareto.json")));
    // any one of the three files is enough to refuse
    Path csvOnly = Files.createDirectories(tmp.resolve("pareto-csv"));
    Files.writeString(csvOnly.resolve("pareto.csv"), "keep me\n");
    assertEquals(2, pareto(mdlm.toString(), csvOnly));
    assertTrue(err().contains(csvOnly.resolve("pareto.csv").toString()), err());
    assertEquals("keep me\n", Files.readString(csvOnly.resolve("pareto.csv")));
    assertFalse(Files.exists(csvOnly.resolve("pareto.json")));
    assertEquals(0, pareto(mdlm.toString(), dir, "--overwrite"), err());
  }

  @Test
  void paretoRefusesAStepCountListedTwice() throws Exception {
    Path dir = tmp.resolve("pareto-dup-steps");
    int rc =
        run(
            "pareto",
            "--models",
            mdlm.toString(),
            "--steps",
            "2,4,2",
            "--scorer",
            scorer.toString(),
            "--out",
            dir.toString());
    assertEquals(2, rc, err());
    assertTrue(err().contains("--steps lists 2 twice"), err());
    assertFalse(Files.exists(dir));
  }

  @Test
  void paretoRefusesAModelListedTwice() throws Exception {
    Path dir = tmp.resolve("pareto-dup");
    String same = mdlm + "," + ar + "," + mdlm.getParent().resolve(".").resolve("ex-mdlm");
    assertEquals(2, pareto(same, dir));
    assertTrue(err().contains("twice") && err().contains(mdlm.toRealPath().toString()), err());
    assertFalse(Files.exists(dir.resolve("pareto.json")));
  }

  @Test
  void paretoRefusesVariantsNoModelTakes() throws Exception {
    Path dir = tmp.resolve("pareto-variant");
    String both = mdlm + "," + ar;
    assertEquals(2, pareto(both, dir, "--variant", "duo:greedy_tail:greedy_tail=true"));
    assertTrue(err().contains("no model is of family duo"), err());
    assertTrue(err().contains("families: ar, mdlm"), err());
    assertEquals(2, pareto(both, dir, "--variant", "ar:x:kv_cache=true"));
    assertTrue(err().contains("ar is causal"), err());
    assertEquals(2, pareto(ar.toString(), dir, "--variant", "*:x"));
    assertTrue(err().contains("every model is causal"), err());
    assertEquals(2, pareto(both, dir, "--variant", "mdlm:a", "--variant", "mdlm:a"));
    assertTrue(err().contains("mdlm:a is given twice"), err());
    assertEquals(2, pareto(both, dir, "--variant", "mdlm:bad:no_such_option=1"));
    assertTrue(err().contains("--variant mdlm:bad (mdlm): "), err());
    assertEquals(1, err().strip().lines().count(), err());
    assertFalse(Files.exists(dir.resolve("pareto.json")));
  }
}
