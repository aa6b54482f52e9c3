package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm fit} with several {@code --runs} tables and {@code --reference}. */
class FitCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /**
   * One table per budget (as one sweep folder per budget writes them): loss L*(C) + 0.05 (ln N − ln
   * N*)² with L*(C) = E + A C^-0.15 and N* = 0.05 C^0.5, five sizes each.
   */
  private Path table(String family, String objective, double e, double c) throws Exception {
    StringBuilder sb =
        new StringBuilder("family,objective,preset,flops_budget,status,n_eff,val_nll,dir,seed\n");
    double nStar = 0.05 * Math.sqrt(c);
    for (double f : new double[] {0.25, 0.5, 1, 2, 4}) {
      long n = Math.round(nStar * f);
      double d = Math.log(n / nStar);
      double loss = e + 60 * Math.pow(c, -0.15) + 0.05 * d * d;
      sb.append(
          String.format(
              Locale.ROOT,
              "%s,%s,p%s,%.6g,finished,%d,%s,x,1%n",
              family,
              objective,
              f,
              c,
              n,
              Double.toString(loss)));
    }
    return Files.writeString(tmp.resolve(family + "-" + c + ".csv"), sb);
  }

  @Test
  void poolsTablesAndComparesWithTheReference() throws Exception {
    String[] args = {"fit", "--out", tmp.resolve("fit").toString(), "--reference", "ar/ce"};
    java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
    for (double c : new double[] {1e11, 3e11, 1e12, 3e12}) {
      all.add("--runs");
      all.add(table("ar", "ce", 1.0, c).toString());
      all.add("--runs");
      all.add(table("mdlm", "low_var", 1.2, c).toString());
    }
    Files.createDirectories(tmp.resolve("fit"));
    assertEquals(0, run(all.toArray(String[]::new)), err.toString(StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("reference ar/ce"), text);
    assertTrue(text.contains("-> " + tmp.resolve("fit").resolve("rq4-table.md")), text);
    JsonNode t =
        new ObjectMapper()
            .readTree(tmp.resolve("fit").resolve("fit-report.json").toFile())
            .get("rq4_table");
    assertEquals("ar/ce", t.get("reference").asText());
    // same A and b, E 0.2 higher: mdlm needs (A / (A C^-b - 0.2))^(1/b) / C at C = 3e12
    double reducible = 60 * Math.pow(3e12, -0.15);
    double expected = Math.pow(60 / (reducible - 0.2), 1 / 0.15) / 3e12;
    JsonNode mdlm = t.get("rows").get(1);
    assertEquals("mdlm/low_var", mdlm.get("series").asText());
    assertEquals(expected, mdlm.get("flops_multiplier").asDouble(), 1e-3 * expected);

    all.set(4, "mdlm");
    assertEquals(2, run(all.toArray(String[]::new)));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("--reference mdlm: expected FAMILY/OBJECTIVE"), e);
  }
}
