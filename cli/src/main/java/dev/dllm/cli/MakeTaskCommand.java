package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.task.TaskGenerator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm make-task}: writes the laptop-scale arithmetic task in GSM8K's format ({@link
 * TaskGenerator}): {@code train.jsonl}, {@code test.jsonl}, {@code train.txt} and {@code
 * task.json}.
 */
public final class MakeTaskCommand implements Command {
  @Override
  public String name() {
    return "make-task";
  }

  @Override
  public String summary() {
    return "write a laptop-scale GSM8K-format arithmetic task (train/test JSONL, train.txt corpus)"
        + " from a seed and difficulty knobs";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("out", "DIR", "folder for the task files"));
    o.addOption(CliOptions.opt("seed", "S", "seed (default 0)"));
    o.addOption(CliOptions.opt("steps", "K", "operations per problem, 1..8 (default 2)"));
    o.addOption(
        CliOptions.opt("max-number", "M", "largest starting amount and +/- operand (default 20)"));
    o.addOption(
        CliOptions.opt(
            "style",
            "S",
            "story (GSM8K-like prose, default) or short (terse question and bare answer lines)"));
    o.addOption(CliOptions.opt("train", "N", "train items (default 2000)"));
    o.addOption(CliOptions.opt("test", "N", "test items (default 200)"));
    o.addOption(Option.builder().longOpt("overwrite").desc("replace existing task files").get());
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path dir = Path.of(CliOptions.required(cmd, "out"));
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new InvalidInputException("--out " + dir + " is not a directory");
    }
    CliOptions.checkParentDirs(dir.resolve("task.json"), "out");
    TaskGenerator.Settings s =
        new TaskGenerator.Settings(
            CliOptions.longOpt(cmd, "seed", 0L, Long.MIN_VALUE),
            CliOptions.intOpt(cmd, "steps", 2, 1),
            CliOptions.intOpt(cmd, "max-number", 20, 2),
            TaskGenerator.Style.parse(cmd.getOptionValue("style", "story")));
    int train = CliOptions.intOpt(cmd, "train", 2000, 0);
    int test = CliOptions.intOpt(cmd, "test", 200, 1);
    Path[] files = TaskGenerator.FILES.stream().map(dir::resolve).toArray(Path[]::new);
    CliOptions.refuseExisting(cmd, "out", files);
    Map<String, Object> m;
    try (OutputLock lock = OutputLock.acquire(dir, "out", "dllm make-task")) {
      CliOptions.refuseExisting(cmd, "out", files); // again, under the lock
      m = new TaskGenerator(s).write(dir, train, test);
    }
    out.printf(
        "task: %d train, %d test items (steps %d, max number %d, seed %d); majority baseline %s%n",
        train, test, s.steps(), s.maxNumber(), s.seed(), m.get("test_majority_baseline"));
    out.println("-> " + dir.resolve("task.json"));
    return 0;
  }
}
