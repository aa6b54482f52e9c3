package dev.dllm.cli;

import java.util.List;

/** The registered sub-commands, in the order {@code dllm --help} lists them. */
public final class Commands {
  private Commands() {}

  /** Every command. Add a new command here. */
  public static List<Command> all() {
    return List.of(
        new DemoCommand(),
        new FamiliesCommand(),
        new TokenizeCommand(),
        new ExportCommand(),
        new SampleCommand(),
        new BenchSampleCommand(),
        new TrainCommand(),
        new BenchTrainCommand(),
        new EvalCommand(),
        new TaskEvalCommand(),
        new MakeTaskCommand(),
        new ScoreCommand(),
        new ParetoCommand(),
        new PromptEvalCommand(),
        new FitCommand(),
        new SweepCommand(),
        new DuoScheduleCommand(),
        new DistillCommand(),
        new FinetuneCommand());
  }
}
