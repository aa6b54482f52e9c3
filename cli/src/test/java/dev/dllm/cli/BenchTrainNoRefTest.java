package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench-train --no-ref}: the reference columns print "-" (JSON null), never NaN, and the
 * "how to get the reference" hint is not printed when the user asked for no reference.
 */
class BenchTrainNoRefTest {
  @TempDir Path dir;

  @Test
  void noRefPrintsDashesAndNulls() throws Exception {
    CliRun cli = new CliRun();
    Path json = dir.resolve("b.json");
    int rc =
        cli.run(
            "bench-train",
            "--presets",
            "xxs",
            "--seq-len",
            "16",
            "--batch",
            "4",
            "--warmup-steps",
            "0",
            "--steps",
            "1",
            "--gemm-n",
            "64",
            "--threads",
            "1",
            "--no-ref",
            "--out",
            json.toString());
    assertEquals(0, rc, cli.err());
    String out = cli.out();
    assertFalse(out.contains("NaN"), out);
    assertFalse(out.contains("or --no-ref"), out);
    assertFalse(out.contains("python3-torch"), out);
    assertTrue(out.contains("not run (--no-ref)"), out);
    String row =
        out.lines()
            .filter(l -> l.startsWith("xxs "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(out));
    String[] cells = row.trim().split("\\s+");
    assertEquals("-", cells[cells.length - 1], row);
    assertEquals("-", cells[cells.length - 2], row);
    JsonNode r = new ObjectMapper().readTree(json.toFile()).get("rows").get(0);
    assertTrue(
        r.has("ref_dit_tokens_per_second") && r.get("ref_dit_tokens_per_second").isNull(),
        r.toString());
    assertTrue(r.has("ratio_to_ref_dit") && r.get("ratio_to_ref_dit").isNull(), r.toString());
  }

  @Test
  void hintNamesWhatIsMissingOnlyWhenNoRefWasNotGiven() {
    assertEquals(
        "reference: ref_dit.py not run (needs ../shared and Debian python3-torch)",
        dev.dllm.cli.bench.BenchTrainCommand.referenceNote(false, false));
    assertEquals(
        "reference: ref_dit.py not run (--no-ref)",
        dev.dllm.cli.bench.BenchTrainCommand.referenceNote(false, true));
    assertTrue(
        dev.dllm.cli.bench.BenchTrainCommand.referenceNote(true, false).contains("ref_dit.py ("));
  }
}
