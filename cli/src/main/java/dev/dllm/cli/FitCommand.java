package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.run.FitRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm fit --runs DIR|runs.csv [--runs ...] [--reference F/O]}: IsoFLOP parabolas per
 * family/objective and budget (replicate seeds averaged per size), N_opt ∝ C^a and L_opt = E +
 * A·C^-b with 95% intervals, the low_var vs ELBO FLOPs ratio and the RQ4 table (FLOPs multiplier to
 * match the reference series); writes {@code fit-report.json}, {@code rq4-table.md}, {@code
 * isoflop.png} and {@code scaling.png} into DIR ({@link FitRun}).
 */
public final class FitCommand implements Command {
  @Override
  public String name() {
    return "fit";
  }

  @Override
  public String summary() {
    return "fit IsoFLOP parabolas and scaling laws to finished runs (fit-report.json,"
        + " rq4-table.md, isoflop.png, scaling.png)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("runs")
            .hasArgs()
            .argName("DIR|CSV")
            .desc(
                "folder of runs (each with a train-report.json; else its runs.csv), or a runs.csv;"
                    + " repeatable, to pool several (e.g. one sweep per budget, a second seed's"
                    + " sweep) (required)")
            .get());
    o.addOption(
        CliOptions.opt(
            "reference",
            "F/O",
            "series the RQ4 table's FLOPs multiplier is relative to (default "
                + dev.dllm.eval.scaling.Rq4Table.DEFAULT_REFERENCE
                + " when present)"));
    o.addOption(
        CliOptions.opt(
            "out",
            "DIR",
            "where to write the report and plots (default the first DIR, or the CSV's folder)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    CliOptions.required(cmd, "runs");
    List<Path> inputs = new ArrayList<>();
    for (String v : cmd.getOptionValues("runs")) {
      Path p = Path.of(v);
      if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".csv")) {
        throw new InvalidInputException(
            "--runs " + p + " is a file; expected a folder of runs or a runs.csv table");
      }
      inputs.add(p);
    }
    String reference = cmd.getOptionValue("reference");
    if (reference != null && !reference.matches("[^/\\s]+/[^/\\s]+")) {
      throw new InvalidInputException(
          "--reference " + reference + ": expected FAMILY/OBJECTIVE, e.g. mdlm/low_var");
    }
    Path runs = inputs.get(0);
    Path home = Files.isRegularFile(runs) ? runs.toAbsolutePath().getParent() : runs;
    Path dir = Path.of(cmd.getOptionValue("out", home.toString()));
    CliOptions.checkParentDirs(dir.resolve("fit-report.json"), "out");
    FitRun.Result r;
    try (OutputLock lock = OutputLock.acquire(dir.resolve("fit-report.json"), "out", "dllm fit")) {
      r = FitRun.run(inputs, dir, reference);
    }
    out.print(r.text());
    out.println("-> " + dir.resolve("fit-report.json"));
    out.println("-> " + dir.resolve(FitRun.RQ4_TABLE));
    out.println("-> " + dir.resolve("isoflop.png"));
    out.println("-> " + dir.resolve("scaling.png"));
    return 0;
  }
}
