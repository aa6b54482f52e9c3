package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.eval.task.TaskEvalRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm task-eval}: GSM8K-format task accuracy of an export (strict and flexible extraction
 * as lm-eval's gsm8k, 95% Wilson intervals, tokens/s, NFE), see {@link TaskEvalRun}. Writes {@code
 * task-eval-report.json} and {@code task-eval-items.jsonl} into {@code --out}.
 */
public final class TaskEvalCommand implements Command {
  @Override
  public String name() {
    return "task-eval";
  }

  @Override
  public String summary() {
    return "task accuracy on GSM8K or a GSM8K-format task (strict/flexible, 95% CI, tokens/s,"
        + " NFE; writes task-eval-report.json and task-eval-items.jsonl)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("model", "DIR", "export directory written by dllm export"));
    o.addOption(
        CliOptions.req(
            "task",
            "gsm8k|DIR|FILE",
            "gsm8k (../shared/data/gsm8k), a folder with test.jsonl (+ train.jsonl) as written by"
                + " make-task, or a {question, answer} JSONL file"));
    o.addOption(CliOptions.req("out", "DIR", "folder for the report and per-item JSONL"));
    o.addOption(CliOptions.opt("shots", "K", "few-shot examples, first K of train (default 0)"));
    o.addOption(CliOptions.opt("steps", "T", "sampling steps (default: max new tokens)"));
    o.addOption(
        CliOptions.opt(
            "max-new-tokens", "N", "free positions after the prompt (default min(256, row/2))"));
    o.addOption(CliOptions.opt("limit", "N", "first N test items only (default 0 = all)"));
    o.addOption(CliOptions.opt("batch", "B", "items per sampler call (default 8)"));
    o.addOption(CliOptions.opt("seed", "S", "seed (default 0)"));
    o.addOption(EvalOptions.topPOption());
    EvalOptions.addRuntimeOptions(
        o, "replace a report already in --out", "sampler option, repeatable");
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path model = Path.of(CliOptions.required(cmd, "model"));
    String task = CliOptions.required(cmd, "task");
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    EvalOptions.checkModelDir(model);
    int shots = CliOptions.intOpt(cmd, "shots", 0, 0);
    int n = CliOptions.intOpt(cmd, "max-new-tokens", 0, 1);
    int steps = CliOptions.intOpt(cmd, "steps", 0, 1);
    double topP = EvalOptions.topP(cmd);
    CliOptions.checkParentDirs(outDir.resolve(TaskEvalRun.REPORT), "out");
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new InvalidInputException("--out " + outDir + " is not a directory");
    }
    Path[] outputs = {outDir.resolve(TaskEvalRun.REPORT), outDir.resolve(TaskEvalRun.ITEMS)};
    CliOptions.refuseExisting(cmd, "out", outputs);
    TaskEvalRun.resolve(task, shots); // before opening the model
    TaskEvalRun.Options o =
        new TaskEvalRun.Options(
            model,
            task,
            shots,
            steps,
            n,
            CliOptions.intOpt(cmd, "limit", 0, 0),
            CliOptions.intOpt(cmd, "batch", 8, 1),
            CliOptions.longOpt(cmd, "seed", 0L, Long.MIN_VALUE),
            topP,
            SampleOptions.samplerOptions(cmd),
            SampleOptions.ortConfig(cmd));
    TaskEvalRun.Report r;
    try (OutputLock lock = OutputLock.acquire(outDir, "out", "dllm task-eval")) {
      CliOptions.refuseExisting(cmd, "out", outputs); // again, under the lock
      r = TaskEvalRun.run(o, outDir, out);
    }
    out.print(r.table());
    out.println("-> report " + outDir.resolve(TaskEvalRun.REPORT));
    return 0;
  }
}
