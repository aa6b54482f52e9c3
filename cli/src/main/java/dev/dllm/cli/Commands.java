package dev.dllm.cli;

import dev.dllm.api.FamilyCommand;
import dev.dllm.cli.bench.BenchBlockCacheCommand;
import dev.dllm.cli.bench.BenchSampleCommand;
import dev.dllm.cli.bench.BenchTrainCommand;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The registered sub-commands, in the order {@code dllm --help} lists them: the built-in ones, then
 * the {@link FamilyCommand}s that family modules contribute through {@link ServiceLoader} ({@code
 * META-INF/services/dev.dllm.api.FamilyCommand}), sorted by family and name.
 */
public final class Commands {
  private Commands() {}

  /** The CLI's own commands. Add a new built-in command here; a family adds its own instead. */
  static List<Command> builtIn() {
    return List.of(
        new DemoCommand(),
        new FamiliesCommand(),
        new TokenizeCommand(),
        new ExportCommand(),
        new ImportCommand(),
        new SampleCommand(),
        new BenchSampleCommand(),
        new BenchBlockCacheCommand(),
        ServerCommand.serve(),
        ServerCommand.benchServe(),
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
        new DistillCommand(),
        new FinetuneCommand());
  }

  /** Every command, family commands visible to the thread context class loader included. */
  public static List<Command> all() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return all(cl != null ? cl : Commands.class.getClassLoader());
  }

  /**
   * Every command: the built-in ones, then the family commands visible to {@code loader}.
   *
   * @throws IllegalStateException naming both sides when a family command takes the name of a
   *     built-in command or of another family's command, or declares options badly
   */
  public static List<Command> all(ClassLoader loader) {
    List<Command> all = new ArrayList<>(builtIn());
    Map<String, String> taken = new HashMap<>();
    for (Command c : all) {
      taken.put(c.name(), "the built-in command " + c.getClass().getName());
    }
    List<ContributedCommand> contributed = new ArrayList<>();
    for (FamilyCommand f : ServiceLoader.load(FamilyCommand.class, loader)) {
      ContributedCommand c = new ContributedCommand(f);
      String previous = taken.putIfAbsent(c.name(), c.source());
      if (previous != null) {
        throw new IllegalStateException(
            "the family command '"
                + c.name()
                + "' of "
                + c.source()
                + " has the name of "
                + previous
                + "; rename it in its family (META-INF/services/"
                + FamilyCommand.class.getName()
                + ")");
      }
      contributed.add(c);
    }
    contributed.sort(
        Comparator.comparing(ContributedCommand::family).thenComparing(ContributedCommand::name));
    all.addAll(contributed);
    return List.copyOf(all);
  }
}
