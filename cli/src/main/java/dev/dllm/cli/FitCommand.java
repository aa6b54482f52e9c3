package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.run.FitRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm fit --runs DIR|runs.csv}: IsoFLOP parabolas per family/objective and budget, N_opt ∝
 * C^a and L_opt = E + A·C^-b with 95% intervals, the low_var vs ELBO FLOPs ratio; writes {@code
 * fit-report.json}, {@code isoflop.png} and {@code scaling.png} into DIR ({@link FitRun}).
 */
public final class FitCommand implements Command {
  @Override
  public String name() {
    return "fit";
  }

  @Override
  public String summary() {
    return "fit IsoFLOP parabolas and scaling laws to finished runs (fit-report.json,"
        + " isoflop.png, scaling.png)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        CliOptions.req(
            "runs",
            "DIR|CSV",
            "folder of runs (each with a train-report.json; else its runs.csv), or a runs.csv"));
    o.addOption(
        CliOptions.opt(
            "out",
            "DIR",
            "where to write the report and plots (default DIR, or the CSV's folder)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path runs = Path.of(CliOptions.required(cmd, "runs"));
    boolean table = Files.isRegularFile(runs);
    if (table && !runs.getFileName().toString().endsWith(".csv")) {
      throw new InvalidInputException(
          "--runs " + runs + " is a file; expected a folder of runs or a runs.csv table");
    }
    Path home = table ? runs.toAbsolutePath().getParent() : runs;
    Path dir = Path.of(cmd.getOptionValue("out", home.toString()));
    CliOptions.checkParentDirs(dir.resolve("fit-report.json"), "out");
    FitRun.Result r;
    try (OutputLock lock = OutputLock.acquire(dir.resolve("fit-report.json"), "out", "dllm fit")) {
      r = FitRun.run(runs, dir);
    }
    out.print(r.text());
    out.println("-> " + dir.resolve("fit-report.json"));
    out.println("-> " + dir.resolve("isoflop.png"));
    out.println("-> " + dir.resolve("scaling.png"));
    return 0;
  }
}
