package dev.dllm.cli;

import static dev.dllm.cli.CliOptions.opt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import dev.dllm.api.train.Distillation;
import dev.dllm.trainer.FamilyTraining;
import dev.dllm.trainer.LossFormat;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.TrainReport;
import dev.dllm.trainer.Trainer;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.ModelConfigFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm distill}: distils a checkpoint for few-step sampling with the distillation objective
 * its family declares ({@link Distillation}, through {@link
 * dev.dllm.api.train.TrainingObjective#distillation()}; today Duo's Discrete Consistency
 * Distillation, spec §9.1, [DUO] algo.py {@code Distillation}, scripts/distil_owt.sh) with the
 * {@link Trainer}: the student starts from {@code --checkpoint}'s weights and tokenizer (fresh
 * AdamW), a frozen teacher is refreshed from the student every K = {@code --steps-per-round} steps,
 * dt = 2^round / T doubles each round (T = {@code --grid}, the family's option {@link
 * Distillation#gridOption()}) and the family's objective is the loss (Duo: KL(student ‖ teacher) on
 * shared-noise coupled (z_t, z_s)). R rounds = R·K steps; a checkpoint is written at every round
 * boundary, so {@code --resume OUT} continues bit-exactly (the teacher of a round is the student at
 * its first step). The output is a checkpoint of the same family for {@code dllm export} and
 * few-step {@code dllm sample}. A checkpoint of a family without a distillation objective is
 * refused (exit 2) with the families that have one.
 *
 * <p>Defaults: the DCD script's 5 rounds, T = the family's {@link Distillation#defaultGrid()} (Duo:
 * 512, dt 1/512 → 16/512), K = 200 steps per round (the script's 10,000 scaled to CPU runs), and lr
 * 2e-4 constant after the trainer's warmup: the script fine-tunes at 6e-5, 1/5 of Duo's
 * pre-training lr 3e-4; 1/5 of our {@code train} default 1e-3 is 2e-4. Batch, L and the model shape
 * default to the source checkpoint's.
 */
public final class DistillCommand implements Command {
  static final int DEFAULT_ROUNDS = 5;
  static final long DEFAULT_STEPS_PER_ROUND = 200;
  static final double DEFAULT_LR = 2e-4;

  @Override
  public String name() {
    return "distill";
  }

  @Override
  public String summary() {
    return "distil a checkpoint for few-step sampling with its family's distillation objective (Duo: DCD)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(opt("checkpoint", "DIR", "checkpoint to distil (its OUT or OUT/checkpoint)"));
    o.addOption(opt("out", "DIR", "output folder: DIR/checkpoint/ and DIR/train-report.json"));
    o.addOption(opt("rounds", "R", "teacher rounds; dt doubles each round (default 5)"));
    o.addOption(opt("steps-per-round", "K", "optimizer steps per teacher round (default 200)"));
    o.addOption(
        opt(
            "grid",
            "T",
            "dt = 2^round / T (default: the family's; Duo 512, the reference script)"));
    o.addOption(opt("lr", "X", "learning rate, constant after warmup (default 2e-4)"));
    o.addOption(opt("warmup", "N", "linear warmup steps (default as dllm train)"));
    o.addOption(opt("batch", "B", "sequences per step (default: the checkpoint's)"));
    o.addOption(opt("seq-len", "L", "tokens per sequence (default: the checkpoint's)"));
    o.addOption(
        opt("data", "PATH", "corpus file or folder of .txt (default: bundled Tiny Shakespeare)"));
    RunOptions.add(o);
    o.addOption(
        opt(
            "resume",
            "DIR",
            "continue the distillation in DIR with its stored options (--out defaults to DIR)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    // the lock on a resumed run is taken before its checkpoint is read
    try (OutputLock lock = ResumeOptions.lockResumed(cmd, "dllm distill")) {
      return distill(cmd, out);
    }
  }

  private int distill(CommandLine cmd, PrintStream out) {
    TrainConfig config = parse(cmd);
    TrainReport r =
        new Trainer(config, out).progress(ConsoleProgress.of(out)).command("dllm distill").run();
    long k = config.familyTraining().teacherRefresh();
    long planned = config.steps(); // rounds x k
    if (r.endStep() < planned) { // --stop-after
      out.printf(
          "distillation stopped at step %d of %d (%d rounds x %d steps; steps %d..%d this run),"
              + " %d tokens; continue with: dllm distill --resume %s%n",
          r.endStep(),
          planned,
          planned / k,
          k,
          r.startStep(),
          r.endStep(),
          r.tokens(),
          config.out());
    } else {
      out.printf(
          "distilled %s: %d rounds x %d steps (steps %d..%d this run), %d tokens%n",
          r.family(), r.steps() / k, k, r.startStep(), r.endStep(), r.tokens());
    }
    out.printf(
        "final distillation loss %s (KL student||teacher, nats/token); validation NELBO %.4f"
            + " nats/token%n",
        LossFormat.fourPlaces(r.finalTrainLoss() == null ? Double.NaN : r.finalTrainLoss()),
        r.valNll());
    out.println("checkpoint: " + r.checkpoint());
    out.println("report: " + config.reportFile());
    return 0;
  }

  /** Options to a validated {@link TrainConfig} (the checkpoint's family, its distillation). */
  static TrainConfig parse(CommandLine cmd) {
    TrainConfig stored = ResumeOptions.stored(cmd); // the resumed run's options, when it has them
    Path outDir = ResumeOptions.out(cmd, stored);
    Path resume = cmd.hasOption("resume") ? Path.of(cmd.getOptionValue("resume")) : null;
    if (!cmd.hasOption("checkpoint") && resume == null) {
      throw new InvalidInputException(
          "--checkpoint is required: the checkpoint to distil, " + wanted(distillations()));
    }
    // the source of the defaults: the resumed run, else the checkpoint being distilled
    Source src =
        Source.read(
            resume != null ? resume : Path.of(cmd.getOptionValue("checkpoint")),
            resume != null ? "--resume" : "--checkpoint");
    Map<String, Object> state = src.state;
    long k =
        CliOptions.longOpt(
            cmd,
            "steps-per-round",
            resume != null
                ? number(state, "teacher_refresh", DEFAULT_STEPS_PER_ROUND)
                : DEFAULT_STEPS_PER_ROUND,
            1);
    long storedRounds =
        resume != null ? number(state, "total_steps", DEFAULT_ROUNDS * k) / k : DEFAULT_ROUNDS;
    long rounds = CliOptions.longOpt(cmd, "rounds", storedRounds, 1);
    if (rounds > Long.MAX_VALUE / k) {
      throw new InvalidInputException("--rounds " + rounds + " x --steps-per-round " + k);
    }
    TrainConfig.Builder b = TrainConfig.builder();
    b.family(src.family);
    b.objective(src.distillation.objective());
    b.out(outDir);
    b.resume(resume);
    src.model(b);
    if (state.get("tokenizer") instanceof String tok) {
      b.tokenizer(tok);
    }
    if (cmd.hasOption("data")) {
      b.data(Path.of(cmd.getOptionValue("data")));
    } else if (stored != null) {
      b.data(stored.data());
    }
    b.seqLen(CliOptions.intOpt(cmd, "seq-len", (int) number(state, "seq_len", 256), 2));
    b.batch(CliOptions.intOpt(cmd, "batch", (int) number(state, "batch", 32), 1));
    b.steps(rounds * k);
    // a resumed run defaults to its stored values (the trainer refuses a changed one)
    double lr =
        CliOptions.doubleOpt(
            cmd,
            "lr",
            resume != null && state.get("lr") instanceof Number n ? n.doubleValue() : DEFAULT_LR);
    b.lr(lr);
    b.minLr(lr); // constant after warmup, as the reference's distillation
    long warmup = resume != null ? number(state, "warmup", -1) : -1; // the checkpoint's, resolved
    b.warmup(CliOptions.longOpt(cmd, "warmup", stored != null ? stored.warmup() : warmup, 0));
    RunOptions.apply(cmd, b, resume != null ? number(state, "seed", 1) : 1, stored);
    b.checkpointEvery(k); // every round boundary: a resume restarts with the round's teacher
    int storedGrid = src.distillation.defaultGrid();
    if (resume != null
        && state.get("family_options") instanceof Map<?, ?> storedOptions
        && storedOptions.get(src.distillation.gridOption()) instanceof String g
        && g.matches("[0-9]{1,9}")) {
      storedGrid = Integer.parseInt(g);
    }
    int grid = CliOptions.intOpt(cmd, "grid", storedGrid, 1);
    Path initFrom = resume == null ? src.dir : null;
    if (stored != null) { // kept for the next resume; a resumed run takes no weights from it
      initFrom =
          cmd.hasOption("checkpoint")
              ? CheckpointDir.of(Path.of(cmd.getOptionValue("checkpoint")))
              : stored.familyTraining().initFrom();
    }
    b.familyTraining(
        new FamilyTraining(
            Map.of(src.distillation.gridOption(), Integer.toString(grid)), initFrom, k));
    TrainConfig config = b.build();
    if (stored != null) {
      ResumeOptions.requireSame(cmd, stored, config, ResumeOptions.DISTILL);
    }
    return config.validate();
  }

  /**
   * The T stored with a distillation run ({@code --grid}, kept in the family option of its {@link
   * Distillation}), or null for a family without one.
   */
  static Object storedGrid(TrainConfig c) {
    Distillation d = distillations().get(c.family());
    return d == null ? null : c.familyTraining().options().get(d.gridOption());
  }

  /** The registered families with a distillation objective, by name. */
  private static SortedMap<String, Distillation> distillations() {
    return Objectives.distillations();
  }

  /** "a duo checkpoint (its distillation; dllm train --family duo)", joined by " or ". */
  private static String wanted(SortedMap<String, Distillation> d) {
    if (d.isEmpty()) {
      return "no registered family has a distillation objective";
    }
    return d.entrySet().stream()
        .map(
            e ->
                "a "
                    + e.getKey()
                    + " checkpoint ("
                    + e.getValue().title()
                    + "; dllm train --family "
                    + e.getKey()
                    + ")")
        .collect(java.util.stream.Collectors.joining(" or "));
  }

  private static long number(Map<String, Object> state, String key, long fallback) {
    return state.get(key) instanceof Number n ? n.longValue() : fallback;
  }

  /** config.json of a checkpoint: family, its distillation, model shape and training state. */
  private record Source(
      Path dir,
      String family,
      Distillation distillation,
      DitConfig config,
      Map<String, Object> state) {
    private static final ObjectMapper JSON = new ObjectMapper();

    @SuppressWarnings("unchecked")
    static Source read(Path given, String option) {
      Path dir = CheckpointDir.of(given);
      Path file = dir.resolve(Checkpoint.CONFIG_FILE);
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(
            option + " " + given + ": not a checkpoint (no " + Checkpoint.CONFIG_FILE + ")");
      }
      JsonNode root;
      try {
        root = JSON.readTree(file.toFile());
      } catch (IOException e) {
        throw new InvalidInputException(option + " " + file + ": cannot read: " + e.getMessage());
      }
      String family = root.path("family").asText("");
      SortedMap<String, Distillation> offered = distillations();
      Distillation distillation = offered.get(family);
      if (distillation == null) {
        throw new InvalidInputException(
            option
                + " "
                + given
                + ": checkpoint is family '"
                + family
                + "', which has no distillation objective; dllm distill needs "
                + wanted(offered));
      }
      if (!(root.get("model") instanceof ObjectNode model)) {
        throw new InvalidInputException(option + " " + file + ": missing field 'model'");
      }
      DitConfig cfg = ModelConfigFile.configFromNode(model, option + " " + file + " model");
      Map<String, Object> state =
          root.get("training") instanceof ObjectNode t ? JSON.convertValue(t, Map.class) : Map.of();
      return new Source(dir, family, distillation, cfg, state);
    }

    /**
     * The student's shape: the checkpoint's preset when it reproduces the shape, else the shape
     * written to a temporary model file (the trainer starts from the checkpoint's weights either
     * way; the option only has to describe them).
     */
    void model(TrainConfig.Builder b) {
      if (state.get("preset") instanceof String preset && DitPresets.exists(preset)) {
        DitConfig p = DitPresets.preset(preset, config.vocabSize(), config.attention());
        DitConfig same =
            new DitConfig(
                p.vocabSize(),
                p.hidden(),
                p.blocks(),
                p.heads(),
                p.condDim(),
                p.attention(),
                config.dropout());
        if (same.equals(config)) {
          b.preset(preset);
          return;
        }
      }
      try {
        Path f = Files.createTempFile("dllm-distill-model-", ".json");
        f.toFile().deleteOnExit();
        JSON.writeValue(f.toFile(), ModelConfigFile.toNode(config, JSON));
        b.modelConfig(f);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot write a temporary model file", e);
      }
    }
  }
}
