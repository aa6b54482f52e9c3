package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.eval.EvalFiles;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.TrainingDivergedException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An IsoFLOP sweep as a Java API ({@code dllm sweep}; the demo may call it): trains every (family,
 * objective, preset, budget) with the {@link Trainer} (steps from the budget, spec §7.7) into
 * {@code out/<family>[-<objective>]/<preset>/C<budget>/}. Resumable: a run whose checkpoint has
 * reached its planned steps and that has a report is skipped, a run with an unfinished checkpoint
 * is resumed with the same options, any other run starts fresh. After every run {@code runs.csv}
 * (one row per run with its status) is rewritten atomically. A run the trainer refuses as bad input
 * (for example a budget too small for one step of a large preset) is recorded with its message and
 * the sweep goes on; a run that diverges (non-finite loss or gradient norm) is recorded as diverged
 * with the trainer's message and is not retried: divergence is deterministic for the same options
 * since the use-after-free behind the old spurious stops was fixed (issue 7 §1).
 */
public final class Sweep {
  private Sweep() {}

  /**
   * The sweep.
   *
   * @param runs every (family, objective or null, preset, budget) to train
   * @param base training options shared by every run (data, tokenizer, L, B, lr, seed, threads,
   *     validation and checkpoint cadence); family, objective, preset, flops and out are set per
   *     run
   * @param out the sweep folder
   */
  public record Plan(List<Run> runs, TrainConfig.Builder base, Path out) {}

  /**
   * One run of the sweep.
   *
   * @param objective null for the family default
   */
  public record Run(String family, String objective, String preset, double flops) {
    /** The run's folder under the sweep folder. */
    public Path dir(Path out) {
      String series = objective == null ? family : family + "-" + objective;
      return out.resolve(series).resolve(preset).resolve(budgetName(flops));
    }
  }

  /** {@code C1e12}, {@code C3e12}, {@code C1.5e13}. */
  static String budgetName(double c) {
    String s = String.format(Locale.ROOT, "%.3g", c).replace("e+", "e").replace("+", "");
    if (!s.contains("e")) {
      s = String.format(Locale.ROOT, "%.2e", c).replace("e+", "e");
    }
    String[] parts = s.split("e");
    String mant =
        parts[0].contains(".") ? parts[0].replaceAll("0+$", "").replaceAll("\\.$", "") : parts[0];
    return "C" + mant + "e" + Integer.parseInt(parts[1]);
  }

  /** State of a run folder. */
  enum State {
    NEW,
    INTERRUPTED,
    FINISHED
  }

  static State state(Path dir) {
    Path ck = dir.resolve("checkpoint").resolve("config.json");
    if (Files.isRegularFile(ck)) {
      try {
        JsonNode t = new ObjectMapper().readTree(ck.toFile()).path("training");
        long step = t.path("step").asLong(-1);
        long total = t.path("total_steps").asLong(-2);
        if (step == total && Files.isRegularFile(dir.resolve("train-report.json"))) {
          return State.FINISHED;
        }
        return State.INTERRUPTED;
      } catch (IOException e) {
        return State.INTERRUPTED; // let the trainer report what is wrong with it
      }
    }
    if (Files.exists(dir.resolve(".checkpoint.prev"))) {
      return State.INTERRUPTED;
    }
    return State.NEW;
  }

  /** Runs the plan; returns the number of runs finished (now or before). */
  public static int run(Plan plan, PrintStream log) throws IOException {
    List<String> status = new ArrayList<>();
    for (Run r : plan.runs()) {
      status.add(null);
    }
    int finished = 0;
    for (int i = 0; i < plan.runs().size(); i++) {
      Run r = plan.runs().get(i);
      Path dir = r.dir(plan.out());
      State s = state(dir);
      String head =
          String.format(
              Locale.ROOT,
              "[%d/%d] %s%s %s C=%.3g",
              i + 1,
              plan.runs().size(),
              r.family(),
              r.objective() == null ? "" : "/" + r.objective(),
              r.preset(),
              r.flops());
      if (s == State.FINISHED) {
        log.println(head + ": finished earlier, skipped");
        status.set(i, "finished");
        finished++;
        writeCsv(plan, status);
        continue;
      }
      log.println(head + (s == State.INTERRUPTED ? ": resuming " + dir : ": training " + dir));
      {
        State now = state(dir);
        TrainConfig.Builder b =
            plan.base()
                .family(r.family())
                .objective(r.objective())
                .preset(r.preset())
                .flops(r.flops())
                .steps(0)
                .out(dir)
                .stopAfter(0)
                .resume(now == State.INTERRUPTED ? dir : null);
        try {
          TrainReport rep = new Trainer(b.build(), log).run();
          log.printf(
              Locale.ROOT, "%s: %d steps, val %.4f nats/token%n", head, rep.steps(), rep.valNll());
          status.set(i, "finished");
          finished++;
        } catch (InvalidInputException e) {
          log.println(head + ": not trained: " + e.getMessage());
          status.set(i, "refused: " + e.getMessage());
        } catch (TrainingDivergedException e) {
          // deterministic for these options; the last good checkpoint is kept for inspection
          log.println(head + ": diverged: " + e.getMessage());
          status.set(i, "diverged: " + e.getMessage());
        }
      }
      writeCsv(plan, status);
    }
    return finished;
  }

  static final String CSV_HEADER =
      "family,objective,preset,flops_budget,status,n_eff,steps,tokens,flops,val_nll,val_ppl,seconds,dir";

  private static void writeCsv(Plan plan, List<String> status) throws IOException {
    StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < plan.runs().size(); i++) {
      Run r = plan.runs().get(i);
      Path dir = r.dir(plan.out());
      String st =
          status.get(i) != null ? status.get(i) : state(dir).name().toLowerCase(Locale.ROOT);
      String nums = ",,,,,,";
      String objective = r.objective() == null ? "" : r.objective();
      Path report = dir.resolve("train-report.json");
      if (st.equals("finished") && Files.isRegularFile(report)) {
        JsonNode n = json.readTree(report.toFile());
        objective = n.path("objective").asText(objective);
        nums =
            String.format(
                Locale.ROOT,
                "%d,%d,%d,%.6g,%.6f,%.6f,%.3f",
                n.path("n_eff").asLong(),
                n.path("steps").asLong(),
                n.path("tokens").asLong(),
                n.path("flops").asDouble(),
                n.path("val_nll").asDouble(),
                n.path("val_ppl").asDouble(),
                n.path("seconds").asDouble());
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "%s,%s,%s,%.6g,%s,%s,%s%n",
              r.family(),
              objective,
              r.preset(),
              r.flops(),
              csvCell(st),
              nums,
              csvCell(dir.toString())));
    }
    EvalFiles.writeString(plan.out().resolve("runs.csv"), sb.toString());
  }

  private static String csvCell(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replace("\"", "\"\"").replace("\n", " ") + "\""
        : s;
  }
}
