package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm demo}: the main job at laptop scale on the bundled Tiny Shakespeare corpus, composed
 * of the other commands: tokenize (char), train AR, MDLM, Duo and Eso-LM ({@code xs}, L = 256, B =
 * 16, one FLOPs budget each, or the budget that fits {@code --minutes}: {@link DemoBudget}), export
 * all four to ONNX, sample each with ONNX Runtime, then evaluate every model at a few step counts
 * with the gen-PPL scorer ({@link DemoEval}: one table of val NLL/NELBO, T, NFE, gen PPL, entropy,
 * tokens/s and the collapse flag, plus {@code pareto.png}), then (unless {@code --no-downstream})
 * train the four recipes at equal FLOPs on the laptop arithmetic task and report their task
 * accuracy ({@link DemoDownstream}). Every stage writes its own JSON report under {@code --out}.
 *
 * <p>The options are validated before anything is created and saved as {@link DemoOptions#FILE};
 * {@code --resume DIR} reuses them, skips finished stages and resumes an interrupted training
 * ({@link DemoStages}). Bad input exits 2; a stage failing for any other reason exits 1.
 */
public final class DemoCommand implements Command {
  private final DemoStages.Runner runner;

  public DemoCommand() {
    this(Main::run);
  }

  private final DemoDownstream.Knobs downstreamKnobs;

  /** With another way to run the stages (tests). */
  DemoCommand(DemoStages.Runner runner) {
    this(runner, null);
  }

  /** With another way to run the stages and other downstream knobs (tests). */
  DemoCommand(DemoStages.Runner runner, DemoDownstream.Knobs downstreamKnobs) {
    this.runner = runner;
    this.downstreamKnobs = downstreamKnobs;
  }

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "the main job on bundled Tiny Shakespeare: train AR, MDLM, Duo, Eso-LM; export, sample,"
        + " gen PPL table and pareto.png";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(opt("out", "DIR", "output folder, new or empty (default runs/demo-<date>-<time>)"));
    o.addOption(
        opt(
            "resume",
            "DIR",
            "continue the demo in DIR: skip its finished stages, resume an interrupted training"));
    o.addOption(opt("flops", "C", "training budget per model in FLOPs (default 8e12)"));
    o.addOption(
        opt(
            "minutes",
            "M",
            "instead of --flops: the budget that makes the whole demo take about M minutes,"
                + " from a measured training rate"));
    o.addOption(opt("preset", "NAME", "model preset (default xs)"));
    o.addOption(opt("seq-len", "L", "sequence length (default 256)"));
    o.addOption(opt("batch", "B", "batch size (default 8)"));
    o.addOption(opt("lr", "X", "peak learning rate of every training (default 2e-3)"));
    o.addOption(opt("num-samples", "N", "samples shown per model (default 4)"));
    o.addOption(opt("steps", "T", "sampling steps of the shown samples (default L)"));
    o.addOption(opt("eval-steps", "T,T,...", "step counts of the evaluation (default 16,64,256)"));
    o.addOption(
        opt("eval-samples", "N", "samples per evaluated point, scored for gen PPL (default 16)"));
    o.addOption(opt("scorer", "DIR|default|train-default", ScorerArg.HELP + " (default: default)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.DEMO, "all cores", 1));
    o.addOption(
        Option.builder()
            .longOpt("quick")
            .desc("a few-minute smoke run (xxs, L 64, tiny budget) instead of the full demo")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("downstream")
            .desc(
                "run the downstream stage (the default: the four recipes at equal FLOPs on the"
                    + " laptop arithmetic task: accuracy, downstream.png)")
            .get());
    o.addOption(Option.builder().longOpt("no-downstream").desc("skip the downstream stage").get());
    return o;
  }

  private static Option opt(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc).get();
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    boolean resume = cmd.hasOption("resume");
    Path dir =
        Path.of(
            resume
                ? cmd.getOptionValue("resume")
                : cmd.getOptionValue(
                    "out",
                    "runs/demo-"
                        + java.time.LocalDateTime.now()
                            .format(
                                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
    // one demo per folder: a second one (or a resume of a running one) is refused, naming it
    try (OutputLock lock = OutputLock.acquire(dir, resume ? "resume" : "out", "dllm demo")) {
      return run(cmd, out, resume, dir);
    }
  }

  private int run(CommandLine cmd, PrintStream out, boolean resume, Path dir) throws Exception {
    DemoOptions opts;
    if (resume) {
      if (cmd.hasOption("out")
          && !dir.toAbsolutePath()
              .normalize()
              .equals(Path.of(cmd.getOptionValue("out")).toAbsolutePath().normalize())) {
        throw new InvalidInputException(
            "--out "
                + cmd.getOptionValue("out")
                + " differs from --resume "
                + dir
                + "; a resumed demo writes into the folder it resumes (omit --out)");
      }
      opts = DemoOptions.parse(cmd, DemoOptions.load(dir), dir.resolve(DemoOptions.FILE));
      if (opts.get("scorer").equals(ScorerArg.DEFAULT)) {
        BundledScorer.require();
      }
    } else {
      if (Files.isDirectory(dir)) {
        try (var entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            throw new InvalidInputException(
                "--out "
                    + dir
                    + " is not empty; the demo never overwrites earlier results: choose a new"
                    + " folder (the default is a fresh runs/demo-<time> folder), or continue an"
                    + " interrupted demo with --resume "
                    + dir);
          }
        }
      }
      opts = DemoOptions.parse(cmd, null, null);
      if (opts.get("scorer").equals(ScorerArg.DEFAULT)) {
        BundledScorer.require(); // a packaging fault shows now, not after the training
      }
      try {
        Files.createDirectories(dir);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        throw new InvalidInputException(
            "--out " + dir + ": " + e.getFile() + " is a file; expected a folder for the demo");
      } catch (java.io.IOException e) {
        throw new InvalidInputException(
            "--out " + dir + ": cannot create the folder (" + e.getMessage() + ")");
      }
      opts.save(dir);
    }
    new DemoStages(dir, opts, resume, cmd.hasOption("verbose"), out, runner)
        .withDownstreamKnobs(downstreamKnobs)
        .run();
    return 0;
  }

  static String oneLine(JsonNode n) {
    StringBuilder sb = new StringBuilder();
    for (String k :
        new String[] {
          "documents",
          "tokens",
          "vocabSize",
          "trainTokens",
          "validTokens",
          "trainBlocks",
          "validBlocks",
          "megabytesPerSecond"
        }) {
      if (n.has(k)) {
        sb.append(k).append('=').append(n.get(k).asText()).append("  ");
      }
    }
    return sb.length() > 0 ? sb.toString().trim() : n.toString();
  }

  static String indent(String text) {
    return "   " + text.replace("\n", "\n   ");
  }
}
