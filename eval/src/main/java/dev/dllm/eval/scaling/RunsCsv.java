package dev.dllm.eval.scaling;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The finished runs of a sweep read from its {@code runs.csv} (written by {@code dllm sweep}; one
 * row per run with {@code family, objective, preset, flops_budget, status, n_eff, val_nll, dir}
 * among its columns, found by header name so extra columns such as {@code threads} are ignored; an
 * optional {@code seed} column gives the training seed; when it is absent or empty, the seed stored
 * with the run's checkpoint under {@code dir}, else {@link RunRecord#DEFAULT_SEED}). Lets {@code
 * dllm fit} reproduce a study from the committed table alone, without the run folders.
 */
public final class RunsCsv {
  /** Name of a sweep's runs table. */
  public static final String FILE = "runs.csv";

  private static final List<String> REQUIRED =
      List.of("family", "objective", "preset", "flops_budget", "status", "n_eff", "val_nll");

  private RunsCsv() {}

  /**
   * Every row of {@code csv} whose {@code status} is {@code finished}, sorted by group, budget and
   * N like {@link RunRecord#scan}. A row's {@link RunRecord#dir()} is its {@code dir} column
   * resolved against the table's folder.
   *
   * @throws InvalidInputException naming the file, the line and the column when the header lacks a
   *     column or a finished row has a missing or non-numeric value
   */
  public static List<RunRecord> read(Path csv) {
    CsvMapper mapper = new CsvMapper();
    CsvSchema schema = CsvSchema.emptySchema().withHeader();
    List<RunRecord> out = new ArrayList<>();
    Path base = csv.toAbsolutePath().getParent();
    try (MappingIterator<Map<String, String>> it =
        mapper.readerForMapOf(String.class).with(schema).readValues(Files.newBufferedReader(csv))) {
      int line = 1;
      boolean headerChecked = false;
      while (it.hasNextValue()) {
        Map<String, String> row = it.nextValue();
        line++;
        if (!headerChecked) {
          for (String c : REQUIRED) {
            if (!row.containsKey(c)) {
              throw new InvalidInputException(
                  csv + ": header lacks column '" + c + "' (expected " + REQUIRED + ")");
            }
          }
          headerChecked = true;
        }
        if (!"finished".equals(row.get("status"))) {
          continue;
        }
        String dir = row.getOrDefault("dir", "");
        Path runDir = dir.isEmpty() ? base : base.resolve(dir);
        out.add(
            new RunRecord(
                text(row, "family", csv, line),
                text(row, "objective", csv, line),
                row.get("preset"),
                number(row, "flops_budget", csv, line),
                (long) number(row, "n_eff", csv, line),
                number(row, "val_nll", csv, line),
                runDir,
                seed(row, runDir, csv, line)));
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException iie) {
        throw iie;
      }
      if (e instanceof java.nio.charset.CharacterCodingException
          || e.getCause() instanceof java.nio.charset.CharacterCodingException) {
        throw new InvalidInputException(
            csv + " is not a readable runs table: not valid UTF-8 text");
      }
      throw new InvalidInputException(csv + " is not a readable runs table: " + e.getMessage());
    }
    out.sort(
        Comparator.comparing(RunRecord::group)
            .thenComparingDouble(RunRecord::budget)
            .thenComparingLong(RunRecord::nEff)
            .thenComparingLong(RunRecord::seed));
    return out;
  }

  private static String text(Map<String, String> row, String col, Path csv, int line) {
    String v = row.get(col);
    if (v == null || v.isBlank()) {
      throw new InvalidInputException(csv + " line " + line + ": column '" + col + "' is empty");
    }
    return v;
  }

  private static long seed(Map<String, String> row, Path runDir, Path csv, int line) {
    String v = row.get("seed");
    if (v == null || v.isBlank()) {
      return RunRecord.storedSeed(runDir);
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          csv + " line " + line + ": column 'seed' is '" + v + "' (expected an integer)");
    }
  }

  private static double number(Map<String, String> row, String col, Path csv, int line) {
    String v = row.get(col);
    try {
      double d = Double.parseDouble(v);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException | NullPointerException e) {
      // reported below
    }
    throw new InvalidInputException(
        csv + " line " + line + ": column '" + col + "' is '" + v + "' (expected a finite number)");
  }
}
