package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.run.FitRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm fit} from a sweep's {@code runs.csv} alone. */
class RunsCsvTest {
  /** The committed study (repository root, seen from the eval module). */
  private static final Path RESULTS = Path.of("..", "docs", "results");

  /**
   * Relative tolerance on every number of the report: runs.csv keeps every digit of val_nll, so the
   * fits see the same doubles (6 decimals were not enough: mdlm/elbo at 3e12 has N_opt 15479.4
   * against its smallest size 15480, and rounding moved it inside).
   */
  private static final double REL = 1e-12;

  @Test
  void committedRunsCsvReproducesTheCommittedFitReport(@TempDir Path out) throws Exception {
    Path csv = RESULTS.resolve(RunsCsv.FILE);
    Path committed = RESULTS.resolve("fit-report.json");
    assumeTrue(Files.isRegularFile(csv) && Files.isRegularFile(committed), "no docs/results");
    FitRun.Result r = FitRun.run(csv, out);
    JsonNode expected = EvalFiles.JSON.readTree(committed.toFile());
    JsonNode actual = EvalFiles.JSON.readTree(out.resolve("fit-report.json").toFile());
    assertEquals(expected.get("runs").asInt(), actual.get("runs").asInt());
    List<String> diffs = new ArrayList<>();
    for (String field : List.of("series", "scaling_notes", "comparisons")) {
      compare(field, expected.get(field), actual.get(field), diffs);
    }
    assertTrue(diffs.isEmpty(), String.join("\n", diffs));
    assertTrue(r.text().contains("mdlm low_var needs"), r.text());
  }

  @Test
  void aFolderWithoutReportsFallsBackToItsRunsCsv(@TempDir Path dir) throws Exception {
    // header with an extra column, a quoted failed row, one finished row per (size, budget)
    String rows =
        "family,objective,preset,flops_budget,status,n_eff,val_nll,threads,dir\n"
            + "ar,ce,xs,1.00000e+12,finished,1000000,3.0,1,ar/xs/C1e12\n"
            + "ar,ce,s,1.00000e+12,\"refused: too big, really\",,,1,ar/s/C1e12\n"
            + "ar,ce,s,1.00000e+13,finished,4000000,2.4,2,ar/s/C1e13\n";
    Files.writeString(dir.resolve(RunsCsv.FILE), rows);
    List<RunRecord> records = FitRun.records(dir);
    assertEquals(
        List.of(
            new RunRecord(
                "ar",
                "ce",
                "xs",
                1e12,
                1_000_000,
                3.0,
                dir.toAbsolutePath().resolve("ar/xs/C1e12")),
            new RunRecord(
                "ar", "ce", "s", 1e13, 4_000_000, 2.4, dir.toAbsolutePath().resolve("ar/s/C1e13"))),
        records);
  }

  @Test
  void aBadCellIsNamedWithItsLineAndColumn(@TempDir Path dir) throws Exception {
    Path csv =
        Files.writeString(
            dir.resolve(RunsCsv.FILE),
            "family,objective,preset,flops_budget,status,n_eff,val_nll,dir\n"
                + "ar,ce,xs,1e12,finished,1000,nan?,x\n");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunsCsv.read(csv));
    assertEquals(
        csv + " line 2: column 'val_nll' is 'nan?' (expected a finite number)", e.getMessage());
    Path noCol = Files.writeString(dir.resolve("b.csv"), "family,objective\nar,ce\n");
    e = assertThrows(InvalidInputException.class, () -> RunsCsv.read(noCol));
    assertTrue(e.getMessage().contains("header lacks column 'preset'"), e.getMessage());
  }

  @Test
  void theSeedColumnOrTheCheckpointGivesTheSeed(@TempDir Path dir) throws Exception {
    // a row without a seed cell takes the seed stored with its checkpoint, else the default 1
    EvalFiles.writeJson(
        dir.resolve("ar/s/C1e12/checkpoint/config.json"),
        Map.of("training", Map.of("run_config", Map.of("seed", 7))));
    Path csv =
        Files.writeString(
            dir.resolve(RunsCsv.FILE),
            "family,objective,preset,flops_budget,status,n_eff,val_nll,dir,seed\n"
                + "ar,ce,xs,1e12,finished,1000,3.0,ar/xs/C1e12,2\n"
                + "ar,ce,s,1e12,finished,4000,2.9,ar/s/C1e12,\n"
                + "ar,ce,m,1e12,finished,9000,2.8,ar/m/C1e12,\n");
    assertEquals(List.of(2L, 7L, 1L), RunsCsv.read(csv).stream().map(RunRecord::seed).toList());
    Path bad =
        Files.writeString(
            dir.resolve("bad.csv"),
            "family,objective,preset,flops_budget,status,n_eff,val_nll,seed\n"
                + "ar,ce,xs,1e12,finished,1000,3.0,two\n");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunsCsv.read(bad));
    assertEquals(bad + " line 2: column 'seed' is 'two' (expected an integer)", e.getMessage());
  }

  /** Records where two JSON trees differ: text and structure exactly, numbers within REL. */
  private static void compare(String at, JsonNode e, JsonNode a, List<String> diffs) {
    if (e == null || a == null || e.isNull() || a.isNull()) {
      if ((e == null || e.isNull()) != (a == null || a.isNull())) {
        diffs.add(at + ": " + e + " vs " + a);
      }
    } else if (e.isNumber() && a.isNumber()) {
      double x = e.asDouble();
      double y = a.asDouble();
      if (Math.abs(x - y) > REL * Math.max(Math.abs(x), 1e-9)) {
        diffs.add(at + ": " + x + " vs " + y);
      }
    } else if (e.isObject() && a.isObject()) {
      if (e.size() != a.size()) {
        diffs.add(at + ": fields " + e.size() + " vs " + a.size());
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        compare(at + "/" + f.getKey(), f.getValue(), a.get(f.getKey()), diffs);
      }
    } else if (e.isArray() && a.isArray()) {
      if (e.size() != a.size()) {
        diffs.add(at + ": " + e.size() + " vs " + a.size() + " items");
        return;
      }
      for (int i = 0; i < e.size(); i++) {
        compare(at + "[" + i + "]", e.get(i), a.get(i), diffs);
      }
    } else if (!e.equals(a)) {
      diffs.add(at + ": " + e + " vs " + a);
    }
  }
}
